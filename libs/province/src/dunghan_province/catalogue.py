"""The sample's catalogue of procedures (thủ tục hành chính): time limits, fees, channels, rules.

A small, realistic slice of Quảng Trị's ~1,600 procedures: the ones that make most of the volume
(hộ tịch, chứng thực, land, household business at the communes; licences, criminal records,
passports at the provincial level). Codes look like the portal's (`1.004227`) and are opaque.
Every procedure uses the supplement rule `pause` (docs/domain.md §4 default), as config/sla
does: the generator computes due dates the way sla does only under that rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from dunghan_common.calendar import TimeLimitUnit

Level = Literal["full_online", "partial_online"]
LOCAL: Final = "local"
"""Scope of a procedure every commune-level unit handles."""


@dataclass(frozen=True, slots=True)
class ProcedureSpec:
    """One procedure: where it is handled, its time limit, fee (VND), online share and weight."""

    code: str
    name: str
    scope: str  # a unit code, or LOCAL for every commune-level unit
    limit: int
    unit: TimeLimitUnit
    fee: int = 0
    level: Level = "full_online"
    online_share: float = 0.7
    e_result: bool = True
    weight: float = 1.0
    supplement_rule: Literal["pause"] = "pause"

    @property
    def fee_required(self) -> bool:
        """Whether a fee or charge (phí, lệ phí) is due."""
        return self.fee > 0


_P = ProcedureSpec
PROCEDURES: Final = (
    # Commune level (cấp xã), most of the volume.
    _P("1.001193", "Đăng ký khai sinh", LOCAL, 8, "working_hours", online_share=0.85, weight=6),
    _P("1.000894", "Đăng ký kết hôn", LOCAL, 1, "working_days", online_share=0.6, weight=2),
    _P("1.001022", "Đăng ký khai tử", LOCAL, 8, "working_hours", online_share=0.7, weight=1.5),
    _P("2.000908", "Chứng thực bản sao từ bản chính", LOCAL, 4, "working_hours", 10_000,
       "partial_online", 0.45, False, 8),
    _P("1.004873", "Cấp bản sao trích lục hộ tịch", LOCAL, 8, "working_hours", 8_000,
       online_share=0.8, weight=2),
    _P("1.004946", "Cấp Giấy xác nhận tình trạng hôn nhân", LOCAL, 3, "working_days",
       online_share=0.8, weight=2),
    _P("1.001612", "Đăng ký thành lập hộ kinh doanh", LOCAL, 3, "working_days", 100_000,
       online_share=0.75, weight=1.5),
    _P("1.010724", "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", LOCAL, 20,
       "working_days", 100_000, "partial_online", 0.5, weight=2.5),
    _P("1.003005", "Cấp giấy phép xây dựng nhà ở riêng lẻ", LOCAL, 15, "working_days", 75_000,
       "partial_online", 0.55, weight=1),
    _P("1.001776", "Thực hiện trợ cấp xã hội hằng tháng", LOCAL, 20, "calendar_days",
       online_share=0.5, weight=1),
    # Provincial departments and vertical agencies.
    _P("1.004227", "Cấp giấy phép xây dựng", "000.00.12.H50", 20, "working_days", 150_000,
       online_share=0.7, weight=2),
    _P("1.009794", "Cấp chứng chỉ hành nghề hoạt động xây dựng", "000.00.12.H50", 20,
       "working_days", 300_000, online_share=0.85),
    _P("2.000488", "Cấp Phiếu lý lịch tư pháp", "000.00.02.H50", 10, "working_days", 200_000,
       online_share=0.9, weight=2),
    _P("2.001610", "Đăng ký thành lập doanh nghiệp", "000.00.03.H50", 3, "working_days", 50_000,
       online_share=0.95, weight=2.5),
    _P("2.000181", "Cấp Giấy phép bán lẻ sản phẩm rượu", "000.00.04.H50", 10, "working_days",
       1_200_000, online_share=0.6, weight=1.5),
    _P("1.004179", "Đăng ký biến động quyền sử dụng đất", "000.00.05.H50", 10, "working_days",
       50_000, "partial_online", 0.5, weight=2.5),
    _P("1.010736", "Cấp giấy phép khai thác nước mặt", "000.00.05.H50", 30, "working_days",
       600_000, "partial_online", 0.4, weight=0.5),
    _P("1.003656", "Cấp giấy phép bưu chính", "000.00.07.H50", 10, "working_days", 300_000,
       online_share=0.8, weight=0.8),
    _P("2.002481", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "000.00.08.H50", 1,
       "working_days", online_share=0.75, weight=1.2),
    _P("1.002410", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "000.00.09.H50", 20,
       "working_days", 360_000, online_share=0.7, weight=2),
    _P("1.001029", "Cấp Giấy phép kinh doanh dịch vụ karaoke", "000.00.10.H50", 5,
       "working_days", 4_000_000, online_share=0.65),
    _P("1.005388", "Cấp giấy phép lao động cho người nước ngoài", "000.00.01.H50", 5,
       "working_days", 600_000, online_share=0.85),
    _P("1.001098", "Đăng ký sinh hoạt tôn giáo tập trung", "000.00.11.H50", 20, "working_days",
       0, "partial_online", 0.3, False, 0.3),
    _P("1.009645", "Cấp Giấy chứng nhận đăng ký đầu tư", "000.00.13.H50", 15, "working_days",
       online_share=0.8, weight=0.6),
    _P("1.001626", "Cấp hộ chiếu phổ thông", "000.00.14.H50", 8, "working_days", 200_000,
       online_share=0.9, weight=3),
    _P("1.000233", "Đăng ký xe", "000.00.14.H50", 2, "working_days", 150_000, "partial_online",
       0.6, weight=3),
    _P("1.007752", "Đăng ký thuế lần đầu", "000.00.15.H50", 3, "working_days",
       online_share=0.95, weight=2.5),
    _P("1.000034", "Cấp lại thẻ bảo hiểm y tế", "000.00.16.H50", 5, "working_days",
       online_share=0.85, weight=2),
)  # fmt: skip

PROCEDURES_BY_CODE: Final = {p.code: p for p in PROCEDURES}
