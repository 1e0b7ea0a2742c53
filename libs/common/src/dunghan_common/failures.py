"""What a failure means for the work in hand: retry it, dead-letter the record, or skip a round.

One classification for the consumers and the background loops:

* ``TRANSIENT``: the infrastructure failed, not the work; a retry overcomes it. Broker or
  database unreachable, time-outs, and PostgreSQL errors by SQLSTATE: class 08 (connection),
  53 (insufficient resources: disk full, out of memory, too many connections), 40 (transaction
  rollback: serialization failure, deadlock), 57 (operator intervention: statement timeout,
  admin or crash shutdown, cannot connect now), 58 (system error: I/O), 25006 (read-only
  transaction, as after a fail-over to a replica) and 55P03 (lock not available).
* ``POISON``: the record itself can never be applied (undecodable, invalid).
* ``ERROR``: anything else, a defect or a record the database refuses (a constraint, a value out
  of range): retried a few times, then the record is isolated and dead-lettered.
"""

from __future__ import annotations

from enum import StrEnum

from aiokafka.errors import KafkaConnectionError

#: SQLSTATE classes (first two characters) whose errors say nothing of the statement.
TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
#: Single SQLSTATEs outside those classes that are just as transient.
TRANSIENT_SQLSTATES = frozenset({"25006", "55P03"})


class PoisonMessageError(Exception):
    """A record that can never be applied (undecodable, invalid): dead-letter it."""


class Failure(StrEnum):
    """The kinds of failure, as counted in metrics."""

    TRANSIENT = "transient"
    POISON = "poison"
    ERROR = "error"


def classify(exc: BaseException) -> Failure:
    """The kind of a failure."""
    if isinstance(exc, PoisonMessageError):
        return Failure.POISON
    return Failure.TRANSIENT if is_transient(exc) else Failure.ERROR


def is_transient(exc: BaseException) -> bool:
    """True for failures of infrastructure that a retry may overcome."""
    state = sqlstate(exc)
    if state is not None:
        return transient_sqlstate(state)
    return any(_transient_by_type(e) for e in _chain(exc))


def transient_sqlstate(state: str) -> bool:
    """True for a SQLSTATE that says the database, not the statement, failed."""
    return state[:2] in TRANSIENT_SQLSTATE_CLASSES or state in TRANSIENT_SQLSTATES


def sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE carried by an error or its causes (asyncpg, SQLAlchemy), if any."""
    for e in _chain(exc):
        for candidate in (e, getattr(e, "orig", None)):
            state = getattr(candidate, "sqlstate", None)
            if isinstance(state, str) and len(state) == 5:
                return state
    return None


def _transient_by_type(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError | ConnectionError | OSError | KafkaConnectionError):
        return True
    name, module = type(exc).__name__, type(exc).__module__
    if "sqlalchemy" in module and name in {"OperationalError", "InterfaceError", "DBAPIError"}:
        return bool(getattr(exc, "connection_invalidated", False)) or name != "DBAPIError"
    return module.startswith("asyncpg") and ("Connection" in name or "CannotConnect" in name)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen) and len(seen) < 16:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
