"""Letter cases through the real broker and database, one test per history (docs/domain.md §5).

Each history is published as its producers publish it (sla's announcements with their
``events_applied``, sync-audit's attribution, ingest's `dossier.*` events, the contact), consumed
by notify's consumer group, delivered by the worker to a real SMTP server, and read back through
``GET /v1/letters`` and ``GET /v1/notifications``: exactly the letter case, from the right unit,
saying the right thing, and the notices the unit head must get.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import httpx
import pytest
import pytest_asyncio
from dunghan_common.clock import FakeClock
from dunghan_common.events import event_types as t
from dunghan_common.events.findings import (
    ApologyWindowOpened,
    BreachAttributed,
    DeadlineBreached,
    DossierFacts,
    Finished,
    FinishedLate,
    FlagRaised,
    Verdict,
    VerdictRevised,
)
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord
from dunghan_common.settings import ApiToken, AuthSettings, Role, hash_secret
from notify import bootstrap
from notify.settings import NotifySettings
from prometheus_client import CollectorRegistry

from tests import support
from tests.integration.notify.notify_events import alert, contact, dossier_event
from tests.integration.notify.test_notify_exactly_once import _consume_all, _settings, _topics

pytestmark = pytest.mark.asyncio(loop_scope="session")
SXD, SNV = "000.00.12.H50", "000.00.01.H50"  # Sở Xây dựng, Sở Nội vụ
RECEIVED = datetime(2025, 8, 4, 2, 0, tzinfo=UTC)  # Monday 09:00 in Quảng Trị
DUE = datetime(2025, 8, 8, 10, 0, tzinfo=UTC)  # Friday 17:00
NEXT_TUE = datetime(2025, 8, 12, 2, 0, tzinfo=UTC)  # Tuesday 09:00, in office hours
OPS = "ops-token-cases"
SXD_TOKEN = "sxd-token-cases"
HEAD = "giamdoc.sxd@quangtri.gov.vn"
SXD_MAILBOX, SNV_MAILBOX = "vanthu.12@quangtri.gov.vn", "vanthu.01@quangtri.gov.vn"


def _facts(seq: int, unit: str = SXD, **extra: Any) -> DossierFacts:
    return DossierFacts(
        unit_code=unit,
        receiving_unit_code=SXD,
        procedure_code="1.004227",
        procedure_name="Cấp giấy phép xây dựng",
        received_at=RECEIVED,
        due_at=DUE,
        assignee_id="cb-1024",
        events_applied=seq,
        **extra,
    )


@dataclass
class History:
    """One dossier's history, published step by step and consumed by notify."""

    settings: NotifySettings
    topics: dict[str, str]
    container: Any
    clock: FakeClock
    dossier: str
    client: httpx.AsyncClient

    async def publish(self, *records: OutgoingRecord) -> None:
        """Publish, then let notify's group consume exactly these records."""
        publisher = KafkaPublisher(self.settings.kafka)
        await publisher.start()
        try:
            await publisher.publish(list(records))
        finally:
            await publisher.stop()
        await _consume_all(self.container, self.settings.notify.group_id, expected=len(records))

    def sla(self, kind: str, data: Any, at: datetime) -> OutgoingRecord:
        """An `sla.*` announcement."""
        return alert(self.topics["alerts"], kind, self.dossier, data.model_dump(mode="json"), at)

    def attributed(
        self, cause: str, revision: int, seq: int, local: str = "overdue"
    ) -> OutgoingRecord:
        """sync-audit's attribution."""
        data = BreachAttributed(
            dossier=_facts(seq),
            cause=cause,  # type: ignore[arg-type]
            revision=revision,
            local_timeliness=local,  # type: ignore[arg-type]
            portal_overdue=True,
            evidence=[],
            attributed_at=self.clock.now(),
        )
        kind = t.AUDIT_BREACH_ATTRIBUTED
        return alert(
            self.topics["findings"],
            kind,
            self.dossier,
            data.model_dump(mode="json"),
            self.clock.now(),
        )

    def breached(self, seq: int = 5) -> OutgoingRecord:
        """sla: the due time passed, the dossier is open."""
        return self.sla(
            t.SLA_DEADLINE_BREACHED, DeadlineBreached(dossier=_facts(seq), breached_at=DUE), DUE
        )

    def event(self, kind: str, data: dict[str, Any], at: datetime) -> OutgoingRecord:
        """A `dossier.*` event as ingest publishes it."""
        return dossier_event(self.topics["events"], kind, self.dossier, data, at)

    def contact(self) -> OutgoingRecord:
        """The applicant's contact (email and phone)."""
        return contact(self.topics["contacts"], self.dossier, RECEIVED)

    async def deliver(self) -> int:
        """One round of the delivery worker."""
        return await bootstrap.deliverer(self.container).run_once()

    async def letters(self) -> list[dict[str, Any]]:
        """The dossier's letter cases, as the API lists them."""
        got = await self.client.get("/v1/letters", params={"dossier_id": self.dossier})
        assert got.status_code == 200
        items: list[dict[str, Any]] = got.json()["items"]
        return items

    async def notifications(self) -> list[dict[str, Any]]:
        """The dossier's notifications, as the API lists them."""
        got = await self.client.get("/v1/notifications", params={"dossier_id": self.dossier})
        assert got.status_code == 200
        items: list[dict[str, Any]] = got.json()["items"]
        return items

    async def text(self, letter_id: int) -> str:
        """The letter case as HTML."""
        got = await self.client.get(f"/v1/letters/{letter_id}")
        assert got.status_code == 200
        return got.text


@pytest_asyncio.fixture(loop_scope="session")
async def history(notify_db, topic_factory, smtp, gateway, calendar):
    topics = await _topics(topic_factory)
    base = _settings(notify_db, topics, smtp.port, gateway, support.unique("g"))
    tokens = AuthSettings(
        tokens=[
            ApiToken(token_hash=hash_secret(OPS), role=Role.OPS),
            ApiToken(token_hash=hash_secret(SXD_TOKEN), role=Role.UNIT, unit_code=SXD),
        ]
    )
    settings = base.model_copy(update={"auth": tokens})
    clock = FakeClock(NEXT_TUE)
    container = bootstrap.build(settings, clock=clock, calendar=calendar)
    transport = httpx.ASGITransport(app=bootstrap.app(container))
    headers = {"Authorization": f"Bearer {OPS}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://notify", headers=headers
    ) as client:
        yield History(settings, topics, container, clock, support.unique(f"{SXD}-250804"), client)
    await container.engine.dispose()


def _to(smtp, address: str) -> list[Message]:
    return [m for m in smtp.messages if m["To"] == address]


def _subject(m: Message) -> str:
    return str(make_header(decode_header(m["Subject"])))


def _plain(m: Message) -> str:
    part = next(p for p in m.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def _kinds(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((i["kind"], i["recipient_role"]) for i in items)


async def test_finished_late_an_apology_that_says_when_the_result_was_ready(history, smtp) -> None:
    h = history
    done = DUE + timedelta(days=1)
    await h.publish(
        h.contact(),
        h.breached(),
        h.sla(
            t.SLA_FINISHED,
            Finished(
                dossier=_facts(7),
                finished_at=done,
                end_event="dossier.result_ready",
                timeliness="late",
            ),
            done,
        ),
        h.sla(
            t.SLA_FINISHED_LATE,
            FinishedLate(dossier=_facts(7), finished_at=done, end_event="dossier.result_ready"),
            done,
        ),
        h.attributed("official_delay", 1, 7, local="late"),
    )
    (case,) = await h.letters()
    assert (case["status"], case["unit_code"], case["new_due_at"]) == ("issued", SXD, None)
    assert (case["number"], case["form"]) == ("01/PXL-SXD", "tt01_2018")
    assert case["ready_at"] is not None
    text = await h.text(case["id"])
    assert "Kết quả giải quyết hồ sơ đã có từ" in text
    assert "chưa trả kết quả" not in text
    assert "gia hạn thời gian giải quyết hồ sơ đến" not in text  # no new date
    assert await h.deliver() == 5  # email, SMS, the two copies, the overdue reminder
    assert len(_to(smtp, "an@example.vn")) == 1


async def test_finished_early_with_supplement_twice_no_letter_a_notice_to_the_head(
    history, smtp
) -> None:
    h = history
    done = DUE - timedelta(days=2)
    await h.publish(
        h.contact(),
        h.sla(
            t.SLA_FLAG_RAISED,
            FlagRaised(
                dossier=_facts(4), flag="supplement_requested_twice", detail="x", raised_at=done
            ),
            done,
        ),
        h.sla(
            t.SLA_FINISHED,
            Finished(
                dossier=_facts(6),
                finished_at=done,
                end_event="dossier.result_ready",
                timeliness="late",
            ),
            done,
        ),
        h.sla(
            t.SLA_FINISHED_LATE,
            FinishedLate(dossier=_facts(6), finished_at=done, end_event="dossier.result_ready"),
            done,
        ),
        h.attributed("official_delay", 1, 6, local="late"),
    )
    assert await h.letters() == []
    assert _kinds(await h.notifications()) == [("notice", "unit_head")]
    assert await h.deliver() == 1
    (note,) = _to(smtp, HEAD)
    assert _to(smtp, "an@example.vn") == []
    assert _subject(note) == f"Hồ sơ {h.dossier} trả đúng hạn nhưng bị tính trễ hạn"
    assert "yêu cầu bổ sung hồ sơ lần thứ hai" in _plain(note)


async def test_transferred_then_overdue_the_processing_unit_issues_with_copies(
    history, smtp
) -> None:
    h = history
    moved = RECEIVED + timedelta(days=1)
    await h.publish(
        h.contact(),
        h.event(t.DOSSIER_TRANSFERRED, {"from_unit_code": SXD, "to_unit_code": SNV}, moved),
    )
    await h.publish(h.breached(), h.attributed("official_delay", 1, 5))
    (case,) = await h.letters()
    assert (case["unit_code"], case["status"]) == (SNV, "issued")
    assert "Sở Nội vụ".upper() in await h.text(case["id"])
    assert await h.deliver() == 5
    roles = _kinds(await h.notifications())
    assert roles == [
        ("apology", "applicant"),
        ("apology", "applicant"),
        ("apology", "processing_unit"),
        ("apology", "service_centre"),
        ("reminder", "official"),
    ]
    # The copies go where the letter's "Nơi nhận" says: the receiving unit's service centre,
    # and the processing unit's own mailbox (the "Lưu: VT" copy), not the previous unit's.
    assert {m["To"] for m in smtp.messages} >= {"ttphvhcc@quangtri.gov.vn", SNV_MAILBOX}
    assert _to(smtp, SXD_MAILBOX) == []
    printed = await h.text(case["id"])
    assert "<li>Trung tâm Phục vụ hành chính công tỉnh;</li>" in printed
    assert "<li>Lưu: VT, SNV.</li>" in printed
    # The processing unit's own token sees the case; the previous unit's does not.
    sxd = {"Authorization": f"Bearer {SXD_TOKEN}"}
    got = await h.client.get("/v1/letters", params={"dossier_id": h.dossier}, headers=sxd)
    assert got.json()["items"] == []


async def test_pause_reschedule_breach_one_case_with_the_units_date(history) -> None:
    h = history
    promised = DUE + timedelta(days=7)
    h.clock.set(DUE - timedelta(days=1))
    await h.publish(
        h.contact(),
        h.sla(
            t.SLA_FINISHED,
            Finished(dossier=_facts(1), finished_at=RECEIVED, end_event="x", timeliness="early"),
            RECEIVED,
        ),
        h.sla(
            t.SLA_VERDICT_REVISED,
            VerdictRevised(
                dossier=_facts(3),
                revision=1,
                previous=Verdict(timeliness="early", due_at=DUE),
                current=Verdict(timeliness="within_time", due_at=DUE),
                caused_by=["dossier.paused"],
                revised_at=DUE - timedelta(days=1),
            ),
            DUE - timedelta(days=1),
        ),
        h.event(
            t.DOSSIER_RESCHEDULED,
            {"new_due_at": promised.isoformat(), "reason": "Chờ kết quả đo đạc thực địa"},
            DUE - timedelta(days=1),
        ),
    )
    (first,) = await h.letters()
    assert (first["cause"], first["status"]) == ("rescheduled", "issued")
    assert datetime.fromisoformat(first["new_due_at"]) == promised
    await h.deliver()
    h.clock.set(NEXT_TUE)
    await h.publish(h.breached(seq=6), h.attributed("official_delay", 1, 6))
    (case,) = await h.letters()
    assert (case["id"], case["status"], case["amendments"]) == (first["id"], "issued", 0)
    assert datetime.fromisoformat(case["new_due_at"]) == promised


async def test_cause_revised_after_sending_amends_the_one_letter(history, smtp) -> None:
    h = history
    await h.publish(h.contact(), h.breached(), h.attributed("official_delay", 1, 5))
    assert await h.deliver() == 5
    await h.publish(h.attributed("software_error", 2, 5))
    (case,) = await h.letters()
    assert (case["status"], case["cause"], case["amendments"]) == ("amended", "software_error", 1)
    text = await h.text(case["id"])
    assert "lỗi của phần mềm" in text
    assert "Phiếu này điều chỉnh Phiếu cùng số" in text
    assert await h.deliver() == 5  # the amended letter (email, SMS, copies), the head's notice
    assert len(_to(smtp, HEAD)) == 1
    assert [k for k in _kinds(await h.notifications()) if k[0] == "notice"] == [
        ("notice", "unit_head")
    ]


async def test_reschedule_after_the_systems_letter_amends_it(history) -> None:
    h = history
    await h.publish(h.contact(), h.breached(), h.attributed("official_delay", 1, 5))
    (first,) = await h.letters()
    assert datetime.fromisoformat(first["new_due_at"]) > NEXT_TUE
    assert await h.deliver() == 5
    promised = NEXT_TUE + timedelta(days=9)
    h.clock.set(NEXT_TUE + timedelta(hours=2))
    await h.publish(
        h.event(
            t.DOSSIER_RESCHEDULED,
            {"new_due_at": promised.isoformat(), "reason": "Chờ ý kiến liên ngành"},
            h.clock.now(),
        )
    )
    (case,) = await h.letters()
    assert (case["id"], case["status"], case["amendments"]) == (first["id"], "amended", 1)
    assert datetime.fromisoformat(case["new_due_at"]) == promised
    assert "Chờ ý kiến liên ngành" in await h.text(case["id"])


def _overturned(h: History) -> list[OutgoingRecord]:
    done = DUE - timedelta(hours=3)
    revised = VerdictRevised(
        dossier=_facts(9),
        revision=1,
        previous=Verdict(timeliness="overdue", due_at=DUE),
        current=Verdict(timeliness="on_time", due_at=DUE),
        caused_by=["dossier.result_ready"],
        revised_at=h.clock.now(),
    )
    finished = Finished(
        dossier=_facts(9), finished_at=done, end_event="dossier.result_ready", timeliness="on_time"
    )
    return [
        h.sla(t.SLA_FINISHED, finished, done),
        h.sla(t.SLA_VERDICT_REVISED, revised, h.clock.now()),
    ]


async def test_verdict_overturned_before_sending_the_letter_is_withdrawn(history, smtp) -> None:
    h = history
    h.clock.set(datetime(2025, 8, 11, 15, 0, tzinfo=UTC))  # Monday 22:00: the letter waits
    await h.publish(h.contact(), h.breached(), h.attributed("official_delay", 1, 5))
    await h.publish(*_overturned(h), h.attributed("none", 2, 9, local="on_time"))
    (case,) = await h.letters()
    assert case["status"] == "withdrawn"
    h.clock.set(NEXT_TUE)
    assert await h.deliver() == 0  # nothing goes out: no letter, no notice, no reminder
    assert smtp.messages == []
    assert [k for k in _kinds(await h.notifications()) if k[0] == "notice"] == []


async def test_verdict_overturned_after_sending_the_unit_head_is_told(history, smtp) -> None:
    h = history
    await h.publish(h.contact(), h.breached(), h.attributed("official_delay", 1, 5))
    assert await h.deliver() == 5
    await h.publish(*_overturned(h))
    (case,) = await h.letters()
    assert case["status"] == "withdrawn"
    assert await h.deliver() == 1
    (note,) = _to(smtp, HEAD)
    assert _subject(note) == f"Thu hồi phiếu xin lỗi: hồ sơ {h.dossier}"
    assert len(_to(smtp, "an@example.vn")) == 1


async def test_a_unit_that_approves_its_letters_holds_them_until_its_head_approves(
    history, smtp
) -> None:
    h = history
    options = h.settings.notify.model_copy(update={"approval_units": SXD})
    approving = replace(h.container, settings=h.settings.model_copy(update={"notify": options}))
    h.container = approving
    await h.publish(h.contact(), h.breached(), h.attributed("official_delay", 1, 5))
    (case,) = await h.letters()
    assert case["status"] == "awaiting_approval"
    assert await h.deliver() == 2  # the reminder, and the head's notice that a letter waits
    (waiting,) = _to(smtp, HEAD)
    assert _subject(waiting) == f"Phiếu xin lỗi chờ duyệt: hồ sơ {h.dossier}"
    app = bootstrap.app(replace(approving, registry=CollectorRegistry()))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://n"
    ) as client:
        ops = {"Authorization": f"Bearer {OPS}"}
        assert (
            await client.post(f"/v1/letters/{case['id']}/approve", headers=ops)
        ).status_code == 403
        sxd = {"Authorization": f"Bearer {SXD_TOKEN}"}
        approved = await client.post(f"/v1/letters/{case['id']}/approve", headers=sxd)
        assert approved.status_code == 200
        assert approved.json()["status"] == "issued"
        again = await client.post(f"/v1/letters/{case['id']}/approve", headers=sxd)
        assert again.status_code == 409
    assert await h.deliver() == 4


async def test_a_letter_left_unapproved_is_issued_at_its_deadline_and_the_head_told(
    history, smtp
) -> None:
    h = history
    options = h.settings.notify.model_copy(update={"approval_units": SXD})
    h.container = replace(h.container, settings=h.settings.model_copy(update={"notify": options}))
    await h.publish(h.contact(), h.breached(), h.attributed("official_delay", 1, 5))
    (case,) = await h.letters()
    assert case["status"] == "awaiting_approval"
    jobs = bootstrap.scheduler(h.container)
    # Opened Tuesday 09:00, after the due date: the head has 4 working hours, to 15:00.
    h.clock.set(NEXT_TUE + timedelta(hours=5, minutes=59))
    assert await jobs.issue_unapproved() == 0
    h.clock.set(NEXT_TUE + timedelta(hours=6))
    assert await jobs.issue_unapproved() == 1
    assert await jobs.issue_unapproved() == 0  # once
    (case,) = await h.letters()
    assert case["status"] == "issued"
    assert await h.deliver() == 7  # email, SMS, two copies, the reminder, the head's 2 notices
    waiting, note = _to(smtp, HEAD)
    assert _subject(waiting) == f"Phiếu xin lỗi chờ duyệt: hồ sơ {h.dossier}"
    assert _subject(note) == f"Phiếu xin lỗi đã gửi khi chưa được duyệt: hồ sơ {h.dossier}"
    assert len(_to(smtp, "an@example.vn")) == 1


OFFICIAL = "binh.tt@quangtri.gov.vn"  # cb-1024 in the unit directory


def _window(h: History, at: datetime, seq: int = 3) -> OutgoingRecord:
    window = ApologyWindowOpened(dossier=_facts(seq), window_opened_at=at)
    return h.sla(t.SLA_APOLOGY_WINDOW_OPENED, window, at)


async def _reminders(h: History) -> list[tuple[str, str]]:
    items = await h.notifications()
    return sorted((i["recipient_role"], i["status"]) for i in items if i["kind"] == "reminder")


async def test_the_window_reminder_then_the_overdue_one_reach_the_assigned_official(
    history, smtp
) -> None:
    h = history
    opened = DUE - timedelta(days=1)  # Thursday 17:00: due within 1 working day
    h.clock.set(opened + timedelta(hours=17))  # Friday 10:00, before the due date
    await h.publish(_window(h, opened))
    assert await h.deliver() == 1
    (window,) = _to(smtp, OFFICIAL)
    assert _subject(window) == f"Đôn đốc: hồ sơ {h.dossier} sắp đến hạn"
    h.clock.set(NEXT_TUE)
    await h.publish(h.breached())
    assert await h.deliver() == 1
    assert [_subject(m) for m in _to(smtp, OFFICIAL)][1] == f"Đôn đốc: hồ sơ {h.dossier} đã quá hạn"
    assert await _reminders(h) == [("official", "sent"), ("official", "sent")]


async def test_no_window_reminder_once_the_dossier_is_overdue_only_the_overdue_one(
    history, smtp
) -> None:
    h = history
    opened = DUE - timedelta(days=1)
    # notify reads the window's announcement only after the due date (a lagging consumer)
    await h.publish(_window(h, opened))
    assert await _reminders(h) == []
    await h.publish(h.breached())
    assert await h.deliver() == 1
    (overdue,) = _to(smtp, OFFICIAL)
    assert _subject(overdue) == f"Đôn đốc: hồ sơ {h.dossier} đã quá hạn"


async def test_a_window_reminder_still_waiting_is_cancelled_when_the_dossier_becomes_overdue(
    history, smtp
) -> None:
    h = history
    opened = DUE - timedelta(days=1)  # Thursday 17:00
    h.clock.set(opened + timedelta(hours=3))  # Thursday 20:00: it waits for Friday's opening
    await h.publish(_window(h, opened))
    assert await h.deliver() == 0
    h.clock.set(NEXT_TUE)  # the worker was down until after the due date
    await h.publish(h.breached())
    assert await h.deliver() == 1
    (only,) = _to(smtp, OFFICIAL)
    assert _subject(only) == f"Đôn đốc: hồ sơ {h.dossier} đã quá hạn"
    assert await _reminders(h) == [("official", "failed"), ("official", "sent")]
