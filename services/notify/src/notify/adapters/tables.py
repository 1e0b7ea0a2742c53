"""Notify's tables (SQLAlchemy Core): facts, contacts, letters and their numbers, notifications."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()


def _ts(name: str, nullable: bool = True) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _now(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


facts = Table(
    "dossier_facts",
    metadata,
    Column("dossier_id", Text, primary_key=True),
    Column("unit_code", Text, nullable=False),
    Column("procedure_code", Text, nullable=False),
    Column("procedure_name", Text),
    _ts("received_at", False),
    _ts("due_at", False),
    Column("assignee_id", Text),
    Column("receiving_unit_code", Text),
    _ts("breached_at"),
    _ts("finished_at"),
    _now("updated_at"),
)

#: What notify folded of each dossier (domain/cases.DossierState), facts or not yet (0005).
states = Table(
    "dossier_states",
    metadata,
    Column("dossier_id", Text, primary_key=True),
    Column("state", JSONB, nullable=False),
    _now("updated_at"),
)
Index(
    "ix_facts_assignee_open",
    facts.c.assignee_id,
    postgresql_where=text("finished_at IS NULL"),
)
Index(
    "ix_facts_overdue",
    facts.c.unit_code,
    postgresql_where=text("breached_at IS NOT NULL AND finished_at IS NULL"),
)

#: Applicant contacts, Fernet-sealed; ``channels`` says which ways exist (not personal data).
#: Kept until the end of the need (docs/domain.md §9): see ``sql_retention``.
contacts = Table(
    "contacts",
    metadata,
    Column("dossier_id", Text, primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("channels", Text, nullable=False),
    _now("stored_at"),
)

#: Officials' names and emails from `dossier-contacts` (kind ``official``), sealed (0006).
official_contacts = Table(
    "official_contacts",
    metadata,
    Column("official_id", Text, primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    _ts("seen_at", False),
)

letter_numbers = Table(
    "letter_numbers",
    metadata,
    Column("unit_code", Text, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)

letters = Table(
    "letters",
    metadata,
    #: by default, not always: a consumed batch reserves its letters' ids (0003).
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("dossier_id", Text, nullable=False),
    _ts("due_at", False),
    Column("unit_code", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("year", Integer, nullable=False),
    _ts("issued_at", False),
    Column("cause", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("procedure_name", Text, nullable=False),
    _ts("received_at", False),
    _ts("new_due_at", False),
    #: the attribution revision the letter reflects (0: a reschedule's letter, or none yet).
    Column("revision", Integer, nullable=False, server_default="0"),
    #: set while the letter's queued deliveries are withdrawn (the dossier was not late after all).
    _ts("withdrawn_at"),
    Column("receiving_unit_code", Text),
    #: set while the letter is held: no complete directory entry for its unit (0004).
    _ts("held_at"),
    #: the letter case's state (0005): held, awaiting_approval, issued, amended, withdrawn.
    Column("status", Text, nullable=False, server_default="issued"),
    #: the dossier had finished late: when its result was ready (no new date printed).
    _ts("ready_at"),
    Column("amendments", Integer, nullable=False, server_default="0"),
    UniqueConstraint("dossier_id", "due_at", name="uq_letters_dossier_due"),
    UniqueConstraint("unit_code", "year", "number", name="uq_letters_number"),
)

Index("ix_letters_unit_status", letters.c.unit_code, letters.c.status, letters.c.id)
Index("ix_letters_held", letters.c.unit_code, postgresql_where=text("held_at IS NOT NULL"))

#: Every later cause revision of an issued letter, and what it did (never updated).
letter_amendments = Table(
    "letter_amendments",
    metadata,
    Column("letter_id", BigInteger, ForeignKey("letters.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("dossier_id", Text, nullable=False),
    Column("unit_code", Text, nullable=False),
    Column("from_cause", Text, nullable=False),
    Column("to_cause", Text, nullable=False),
    Column("action", Text, nullable=False),
    _ts("amended_at", False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("dedup_key", Text, nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("dossier_id", Text),
    Column("unit_code", Text),
    Column("recipient_role", Text, nullable=False),
    Column("recipient_ref", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("letter_id", BigInteger, ForeignKey("letters.id")),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    _ts("not_before", False),
    _ts("claimed_at"),
    #: the claim holding a ``sending`` job; only its holder writes the outcome (0006).
    Column("claim", Text),
    Column("last_error", Text),
    _now("created_at"),
    _ts("sent_at"),
    _ts("failed_at"),
)
Index(
    "ix_notifications_due",
    notifications.c.not_before,
    postgresql_where=text("status IN ('pending', 'sending')"),
)
Index("ix_notifications_dossier", notifications.c.dossier_id, notifications.c.id)
Index(
    "ix_notifications_letter",
    notifications.c.letter_id,
    postgresql_where=text("letter_id IS NOT NULL"),
)
