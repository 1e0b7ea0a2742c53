"""`data` of the `payment.*`, `portal.*` and `system.*` events (docs/contract.md §1)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dunghan_common.events.fields import Code, EventData, Rfc3339, StatusCode, Text

PaymentMethod = Literal["online_national_portal", "online_provincial_gateway", "offline"]


class PaymentCompleted(EventData):
    """Fees paid; `amount` in VND, bounded to fit a signed 64-bit column."""

    amount: Annotated[int, Field(ge=0, le=10**15)]
    method: PaymentMethod


class PortalSyncSucceeded(EventData):
    """A status was pushed to the national portal (DVCQG)."""

    status_code: StatusCode


class PortalSyncFailed(EventData):
    """Pushing a status to the national portal failed."""

    status_code: StatusCode
    error_code: Code
    error_message: Text


class PortalSnapshotTaken(EventData):
    """What the national portal currently shows for the dossier."""

    status_code: StatusCode
    due_at: Rfc3339 | None = None
    finished_at: Rfc3339 | None = None


class SystemErrorOccurred(EventData):
    """A software error in the provincial system, on a dossier if `subject` is set."""

    component: Code
    error_code: Code
    message: Text


class SystemOutageStarted(EventData):
    """A component of the provincial system went down."""

    component: Code
    outage_id: Code


class SystemOutageEnded(EventData):
    """A component of the provincial system came back."""

    component: Code
    outage_id: Code
