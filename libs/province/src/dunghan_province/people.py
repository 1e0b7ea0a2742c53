"""Made-up applicants (người nộp hồ sơ) and officials (cán bộ xử lý) for the sample.

Names are drawn from common Vietnamese family, middle and given names; emails use the reserved
`example.vn` domain and phone numbers a made-up range, so no real person is ever contacted.
"""

from __future__ import annotations

import random
from typing import Any, Final

_FAMILY: Final = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Trương", "Đinh",
)  # fmt: skip
_MIDDLE: Final = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu")
_GIVEN: Final = (
    "An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Lan", "Linh",
    "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy",
)  # fmt: skip
_FIRMS: Final = ("Xây dựng", "Thương mại", "Nông sản", "Vận tải", "Du lịch", "Dịch vụ")
ORGANISATION_SHARE: Final = 0.15
EMAIL_SHARE: Final = 0.6
PHONE_SHARE: Final = 0.9
OFFICIALS_PER_UNIT: Final = 6


def person_name(rng: random.Random) -> str:
    """A Vietnamese full name: family, middle, given."""
    return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"


def applicant(rng: random.Random) -> dict[str, Any]:
    """The applicant of a dossier as `dossier.received` carries it (personal data)."""
    if rng.random() < ORGANISATION_SHARE:
        found: dict[str, Any] = {
            "kind": "organization",
            "name": f"Công ty TNHH {rng.choice(_FIRMS)} {rng.choice(_GIVEN)} {rng.choice(_GIVEN)}",
        }
    else:
        found = {"kind": "citizen", "name": person_name(rng)}
    if rng.random() < EMAIL_SHARE:
        found["email"] = f"nguoinop{rng.randrange(10**8):08d}@example.vn"
    if rng.random() < PHONE_SHARE:
        found["phone"] = f"09{rng.randrange(10**8):08d}"
    return found


def official(unit_index: int, number: int) -> dict[str, Any]:
    """Official `number` of a unit: a stable id, a name and a work email (no randomness)."""
    official_id = f"cb-{unit_index:03d}{number:02d}"
    rng = random.Random(official_id)
    return {"id": official_id, "name": person_name(rng), "email": f"{official_id}@quangtri.gov.vn"}
