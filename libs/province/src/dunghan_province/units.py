"""Processing units of the merged Quảng Trị (docs/domain.md §2): departments, agencies, communes.

Unit codes follow the portal's shape (`000.00.12.H50`) and are opaque everywhere else. The two
codes the configuration already uses keep their meaning (`000.00.12.H50` Sở Xây dựng,
`000.00.31.H50` the provincial service centre, see config/units.toml); the others are
made up for the sample: departments `000.00.NN.H50`, wards `000.61.NN.H50`, communes
`000.62.NN.H50`, the special zone `000.63.01.H50`. Commune names are those of the 2025 merger as
far as the sample needs them to look real; nothing depends on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

UnitKind = Literal["department", "vertical", "centre", "ward", "commune", "special_zone"]


@dataclass(frozen=True, slots=True)
class Unit:
    """A processing unit (đơn vị xử lý): its code, name, kind and relative intake weight."""

    code: str
    name: str
    kind: UnitKind
    weight: float = 1.0

    @property
    def is_local(self) -> bool:
        """Whether the unit is commune-level (phường, xã, đặc khu)."""
        return self.kind in ("ward", "commune", "special_zone")


SERVICE_CENTRE: Final = "000.00.31.H50"
"""Trung tâm Phục vụ hành chính công tỉnh: receives most provincial dossiers for the departments."""

_DEPARTMENTS: Final = (
    ("000.00.01.H50", "Sở Nội vụ", "department", 1.0),
    ("000.00.02.H50", "Sở Tư pháp", "department", 2.0),
    ("000.00.03.H50", "Sở Tài chính", "department", 2.5),
    ("000.00.04.H50", "Sở Công Thương", "department", 1.5),
    ("000.00.05.H50", "Sở Nông nghiệp và Môi trường", "department", 3.0),
    ("000.00.12.H50", "Sở Xây dựng", "department", 3.0),
    ("000.00.07.H50", "Sở Khoa học và Công nghệ", "department", 0.8),
    ("000.00.08.H50", "Sở Giáo dục và Đào tạo", "department", 1.2),
    ("000.00.09.H50", "Sở Y tế", "department", 2.0),
    ("000.00.10.H50", "Sở Văn hóa, Thể thao và Du lịch", "department", 1.0),
    ("000.00.11.H50", "Sở Dân tộc và Tôn giáo", "department", 0.3),
    ("000.00.13.H50", "Ban Quản lý Khu kinh tế tỉnh", "department", 0.6),
    ("000.00.14.H50", "Công an tỉnh", "vertical", 6.0),
    ("000.00.15.H50", "Thuế tỉnh Quảng Trị", "vertical", 2.5),
    ("000.00.16.H50", "Bảo hiểm xã hội tỉnh", "vertical", 2.0),
    (SERVICE_CENTRE, "Trung tâm Phục vụ hành chính công tỉnh", "centre", 0.0),
)

_WARDS: Final = (
    "Đồng Hới",
    "Đồng Thuận",
    "Đồng Sơn",
    "Ba Đồn",
    "Bắc Gianh",
    "Đông Hà",
    "Nam Đông Hà",
    "Quảng Trị",
)

_COMMUNES: Final = (
    # From the former Quảng Bình.
    "Minh Hóa", "Dân Hóa", "Kim Điền", "Kim Phú", "Tân Thành", "Đồng Lê", "Tuyên Lâm",
    "Tuyên Sơn", "Tuyên Phú", "Tuyên Bình", "Tuyên Hóa", "Quảng Trạch", "Phú Trạch",
    "Hòa Trạch", "Tân Gianh", "Trung Thuần", "Nam Gianh", "Nam Ba Đồn", "Bố Trạch",
    "Hoàn Lão", "Đông Trạch", "Nam Trạch", "Phong Nha", "Thượng Trạch", "Bắc Trạch",
    "Quảng Ninh", "Ninh Châu", "Trường Ninh", "Trường Sơn", "Lệ Thủy", "Cam Hồng", "Sen Ngư",
    "Tân Mỹ", "Trường Phú", "Lệ Ninh", "Kim Ngân",
    # From the former Quảng Trị.
    "Vĩnh Linh", "Cửa Tùng", "Vĩnh Hoàng", "Vĩnh Thủy", "Bến Quan", "Cồn Tiên", "Cửa Việt",
    "Gio Linh", "Bến Hải", "Hướng Lập", "Hướng Phùng", "Khe Sanh", "Tân Lập", "Lao Bảo",
    "Lìa", "A Dơi", "Đakrông", "Hướng Hiệp", "Ba Lòng", "Tà Rụt", "La Lay", "Cam Lộ",
    "Hiếu Giang", "Triệu Phong", "Ái Tử", "Triệu Bình", "Triệu Cơ", "Nam Cửa Việt",
    "Diên Sanh", "Mỹ Thủy", "Hải Lăng", "Nam Hải Lăng", "Vĩnh Định",
)  # fmt: skip


def _build() -> tuple[Unit, ...]:
    """Every unit, departments first."""
    units = [Unit(c, n, k, w) for c, n, k, w in _DEPARTMENTS]  # type: ignore[arg-type]
    units += [Unit(f"000.61.{i:02d}.H50", f"UBND phường {n}", "ward", 1.6) for i, n in _num(_WARDS)]
    units += [
        Unit(f"000.62.{i:02d}.H50", f"UBND xã {n}", "commune", 1.0) for i, n in _num(_COMMUNES)
    ]
    units.append(Unit("000.63.01.H50", "UBND đặc khu Cồn Cỏ", "special_zone", 0.05))
    return tuple(units)


def _num(names: tuple[str, ...]) -> list[tuple[int, str]]:
    """Names numbered from 1."""
    return list(enumerate(names, start=1))


UNITS: Final = _build()
UNITS_BY_CODE: Final = {u.code: u for u in UNITS}
LOCAL_UNITS: Final = tuple(u for u in UNITS if u.is_local)
PROVINCIAL_UNITS: Final = tuple(u for u in UNITS if not u.is_local and u.kind != "centre")


def unit_name(code: str) -> str:
    """The unit's name, or its code for a unit the sample does not know."""
    found = UNITS_BY_CODE.get(code)
    return found.name if found else code
