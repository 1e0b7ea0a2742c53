"""The portal's index figures (docs/domain.md §7): its monthly answer, checked field by field,
and the same figures computed from the local truth, the portal's way.

The portal scores each unit's progress as on time ÷ received × 100 (``ratio``) and ratio ÷ 100
× 20 (``score``, of 20); overdue = received − on time. Worked example of a captured answer:
received 588, on time 486, overdue 102, ratio 82.65, score 16.53.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

#: The portal rounds to hundredths; a figure within this of the exact value is consistent.
TOLERANCE = Decimal("0.01")
_CENT = Decimal("0.01")
MAX_SCORE = 20
_COUNTS = ("totalReceived", "totalOnTime", "totalOverdue")
#: far above any unit's monthly intake: a count beyond it is a malformed answer, not a figure
MAX_COUNT = 10**9


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Figures(_Frozen):
    """One unit's progress figures of a month: counts, ratio (of 100) and score (of 20).

    ``ratio`` and ``score`` are None when nothing was received (the portal has nothing to score).
    """

    received: int
    on_time: int
    overdue: int
    ratio: float | None
    score: float | None


class Department(_Frozen):
    """One ``children`` entry of the portal's answer (or its ``parent``, the province)."""

    department_code: str
    name: str = ""
    level: str = ""
    figures: Figures


class PortalAnswer(_Frozen):
    """The portal's index answer of a month, once every field checked out."""

    parent: Department
    children: list[Department]


class FieldError(_Frozen):
    """One refused field: where it is in the answer, and why."""

    loc: str
    msg: str


class AnswerRefusedError(ValueError):
    """The answer is malformed or inconsistent; ``errors`` says which fields, each once."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.loc}: {e.msg}" for e in errors))
        self.errors = errors


def computed(received: int, on_time: int) -> Figures:
    """The figures the portal's way: ratio and score rounded half up to hundredths."""
    if received == 0:
        return Figures(received=0, on_time=0, overdue=0, ratio=None, score=None)
    ratio = _hundredths(Decimal(on_time) * 100 / received)
    score = _hundredths(Decimal(on_time) * MAX_SCORE / received)
    return Figures(
        received=received, on_time=on_time, overdue=received - on_time, ratio=ratio, score=score
    )


def points_at_stake(corrected: Figures, portal: Figures | None) -> float | None:
    """Corrected score − portal score: what faults cost the unit (None without both scores)."""
    if portal is None or portal.score is None or corrected.score is None:
        return None
    return _hundredths(Decimal(str(corrected.score)) - Decimal(str(portal.score)))


def parse_answer(raw: object) -> PortalAnswer:
    """The answer as the portal returns it (``{"code", "data": {"parent", "children"}}``).

    Raises `AnswerRefusedError` listing every refused field: the shape, a negative or
    non-integral count, overdue ≠ received − on time, a ratio or score inconsistent with the
    counts beyond rounding, a ``departmentCode`` missing or repeated.
    """
    errors: list[FieldError] = []
    data = _data(raw, errors)
    if data is None:
        raise AnswerRefusedError(errors)
    parent = _department(data.get("parent"), "data.parent", errors)
    children_raw = data.get("children")
    children: list[Department | None] = []
    if not isinstance(children_raw, list):
        errors.append(FieldError(loc="data.children", msg="must be a list of departments"))
    else:
        children = [
            _department(c, f"data.children[{i}]", errors) for i, c in enumerate(children_raw)
        ]
    _unique_codes(children, errors)
    if errors or parent is None:
        raise AnswerRefusedError(errors)
    return PortalAnswer(parent=parent, children=[c for c in children if c is not None])


def _data(raw: object, errors: list[FieldError]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(loc="$", msg="must be a JSON object"))
        return None
    code = raw.get("code")
    if code is not None and str(code).upper() != "OK":
        errors.append(FieldError(loc="code", msg=f"the portal answered {code!r}, not OK"))
    data = raw.get("data")
    if not isinstance(data, dict):
        errors.append(FieldError(loc="data", msg="must be an object with parent and children"))
        return None
    return data


def _department(item: object, loc: str, errors: list[FieldError]) -> Department | None:
    """One department's entry, or None with its errors recorded."""
    if not isinstance(item, dict):
        errors.append(FieldError(loc=loc, msg="must be an object"))
        return None
    before = len(errors)
    code = item.get("departmentCode")
    if not isinstance(code, str) or not code.strip():
        errors.append(FieldError(loc=f"{loc}.departmentCode", msg="must be a non-empty string"))
    counts = [_count(item.get(k), f"{loc}.{k}", errors) for k in _COUNTS]
    ratio = _number(item.get("ratio"), f"{loc}.ratio", errors)
    score = _number(item.get("score"), f"{loc}.score", errors)
    received, on_time, overdue = counts
    for name in ("ratio", "score"):  # nothing to score when nothing was received
        if item.get(name) is None and received:
            errors.append(FieldError(loc=f"{loc}.{name}", msg="is required"))
    if received is not None and on_time is not None:
        _consistent(loc, received, on_time, overdue, ratio, score, errors)
    if len(errors) > before:
        return None
    if received is None or on_time is None or overdue is None:
        return None
    figures = Figures(
        received=received,
        on_time=on_time,
        overdue=overdue,
        ratio=None if ratio is None else float(ratio),
        score=None if score is None else float(score),
    )
    label, level = item.get("departmentName"), item.get("level")
    return Department(
        department_code=str(code),
        name=str(label) if isinstance(label, str) else "",
        level=str(level) if isinstance(level, str) else "",
        figures=figures,
    )


def _consistent(
    loc: str,
    received: int,
    on_time: int,
    overdue: int | None,
    ratio: Decimal | None,
    score: Decimal | None,
    errors: list[FieldError],
) -> None:
    """Overdue, ratio and score as the counts make them, within the portal's rounding."""
    if on_time > received:
        errors.append(FieldError(loc=f"{loc}.totalOnTime", msg="exceeds totalReceived"))
        return
    if overdue is not None and overdue != received - on_time:
        msg = f"must be totalReceived − totalOnTime = {received - on_time}"
        errors.append(FieldError(loc=f"{loc}.totalOverdue", msg=msg))
    if received == 0:
        return  # nothing to score: whatever the portal shows for ratio and score is its own
    exact_ratio = Decimal(on_time) * 100 / received
    if ratio is not None and abs(ratio - exact_ratio) > TOLERANCE:
        msg = f"must be totalOnTime ÷ totalReceived × 100 = {_hundredths(exact_ratio)}"
        errors.append(FieldError(loc=f"{loc}.ratio", msg=msg))
    exact_score = Decimal(on_time) * MAX_SCORE / received
    if score is not None and abs(score - exact_score) > TOLERANCE:
        msg = f"must be ratio ÷ 100 × 20 = {_hundredths(exact_score)}"
        errors.append(FieldError(loc=f"{loc}.score", msg=msg))


def _count(value: object, loc: str, errors: list[FieldError]) -> int | None:
    """A count: a non-negative integer (a numeric string is how some portals send it)."""
    number = _number(value, loc, errors)
    if number is None:
        if value is None:
            errors.append(FieldError(loc=loc, msg="is required"))
        return None
    if number < 0:
        errors.append(FieldError(loc=loc, msg="must not be negative"))
        return None
    if number > MAX_COUNT:
        errors.append(FieldError(loc=loc, msg=f"must not exceed {MAX_COUNT}"))
        return None
    if number != number.to_integral_value():
        errors.append(FieldError(loc=loc, msg="must be a whole number"))
        return None
    return int(number)


def _number(value: object, loc: str, errors: list[FieldError]) -> Decimal | None:
    """A JSON number or a numeric string; None when absent (``null``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        errors.append(FieldError(loc=loc, msg="must be a number"))
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite():
        errors.append(FieldError(loc=loc, msg="must be a number"))
        return None
    return number


def _unique_codes(children: list[Department | None], errors: list[FieldError]) -> None:
    seen: set[str] = set()
    for i, c in enumerate(children):
        if c is None:
            continue
        if c.department_code in seen:
            errors.append(FieldError(loc=f"data.children[{i}].departmentCode", msg="appears twice"))
        seen.add(c.department_code)


def _hundredths(value: Decimal) -> float:
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))
