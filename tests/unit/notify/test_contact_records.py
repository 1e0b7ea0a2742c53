"""notify reads both kinds of `dossier-contacts` record, and officials' tombstones leave it be."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from dunghan_common.events import EXAMPLES, encode_contact, parse_event, split_contacts
from notify.adapters.kafka import NotifyHandler, TopicNames
from notify.usecases import commands as c

TOPICS = TopicNames("alerts", "findings", "contacts", "events")


def _record(key: bytes, value: bytes | None) -> ConsumerRecord:
    return ConsumerRecord("contacts", 0, 0, 0, 0, key, value, None, 0, 0, [])


def _handler() -> NotifyHandler:
    return NotifyHandler(TOPICS, intake=None)  # type: ignore[arg-type]  # decode only


def test_an_official_s_record_becomes_their_sealed_contact_and_an_applicant_s_theirs() -> None:
    _, contacts = split_contacts(parse_event(EXAMPLES["dossier.received"]))
    decoded = [_handler().decode(_record(*encode_contact(x)[:2])) for x in contacts]
    applicant, official = decoded
    assert isinstance(applicant, c.ContactReceived)
    assert isinstance(official, c.OfficialContactReceived)
    assert official.official_id == "cb-1024"
    assert official.fields == {"name": "Trần Thị Bình", "email": "binh.tt@quangtri.gov.vn"}


def test_tombstones_forget_an_applicant_never_an_official() -> None:
    handler = _handler()
    assert handler.decode(_record(b"official:cb-1024", None)) is None
    assert handler.decode(_record(b"000.00.12.H50-250801-0001", None)) == c.ContactDeleted(
        "000.00.12.H50-250801-0001"
    )
