"""The directory of units (heads, signers, service-centre copies) and officials, from config."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Unit(BaseModel):
    """A processing unit and who signs its letters (thủ trưởng, or a deputy signing "KT.")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    parent_name: str | None = None
    head_title: str
    head_name: str
    signer_title: str | None = None
    signer_name: str | None = None
    head_email: str | None = None
    head_phone: str | None = None
    copy_email: str | None = None

    def signature_lines(self) -> list[str]:
        """The signature block: the head's, or ``KT. <head title>`` above the deputy's."""
        if self.signer_name and self.signer_name != self.head_name:
            return [
                f"KT. {self.head_title.upper()}",
                (self.signer_title or "").upper(),
                self.signer_name,
            ]
        return [self.head_title.upper(), self.head_name]


class Official(BaseModel):
    """An official's work contact (cán bộ xử lý), keyed by the id the events carry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    email: str | None = None
    phone: str | None = None


class Directory(BaseModel):
    """Units by code and officials by id."""

    model_config = ConfigDict(frozen=True)

    units: dict[str, Unit]
    officials: dict[str, Official]

    def unit(self, code: str) -> Unit:
        """The unit, or a placeholder naming the code when it is not configured."""
        found = self.units.get(code)
        if found is not None:
            return found
        return Unit(code=code, name=f"Đơn vị {code}", head_title="Thủ trưởng đơn vị", head_name="")
