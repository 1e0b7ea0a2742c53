"""The applicant's personal data leaves `dossier.received` for the contacts topic only."""

from __future__ import annotations

import copy

import pytest
from dunghan_common.events import (
    EXAMPLES,
    DossierReceived,
    DossierReceivedWithApplicant,
    encode_contact,
    parse_event,
    split_contact,
    to_kafka,
)

pytestmark = pytest.mark.unit

_APPLICANT = EXAMPLES["dossier.received"]["data"]["applicant"]


def test_the_split_event_carries_no_personal_field() -> None:
    event, _ = split_contact(parse_event(EXAMPLES["dossier.received"]))
    assert type(event.data) is DossierReceived
    assert "applicant" not in event.data.model_dump()
    message = to_kafka(event)
    wire = message.key + message.value + b"".join(v for _, v in message.headers)
    for personal in ("name", "email", "phone"):
        assert _APPLICANT[personal].encode() not in wire
        assert _APPLICANT[personal] not in event.model_dump_json()


def test_the_split_keeps_everything_else() -> None:
    original = parse_event({**EXAMPLES["dossier.received"], "traceparent": "00-ab-01"})
    event, _ = split_contact(original)
    assert isinstance(original.data, DossierReceivedWithApplicant)
    assert event.data.model_dump() == original.data.model_dump(exclude={"applicant"})
    assert event.model_dump(exclude={"data"}) == original.model_dump(exclude={"data"})
    assert event.model_fields_set == original.model_fields_set


def test_the_contact_carries_the_applicant_and_its_provenance() -> None:
    original = parse_event(EXAMPLES["dossier.received"])
    _, contact = split_contact(original)
    assert contact is not None
    assert contact.model_dump(exclude_none=True) == {
        "dossier_code": original.subject,
        **_APPLICANT,
        "event_id": original.id,
        "source": original.source,
        "time": original.time,
    }
    assert _APPLICANT["phone"].encode() in encode_contact(contact).value


def test_contact_fields_are_optional() -> None:
    raw = copy.deepcopy(EXAMPLES["dossier.received"])
    raw["data"]["applicant"] = {"kind": "organization", "name": "Công ty TNHH Gió Lào"}
    _, contact = split_contact(parse_event(raw))
    assert contact is not None
    assert (contact.email, contact.phone) == (None, None)


@pytest.mark.parametrize("event_type", sorted(set(EXAMPLES) - {"dossier.received"}))
def test_other_events_pass_through_untouched(event_type: str) -> None:
    event = parse_event(EXAMPLES[event_type])
    assert split_contact(event) == (event, None)


def test_splitting_twice_finds_nothing_more() -> None:
    event, _ = split_contact(parse_event(EXAMPLES["dossier.received"]))
    assert split_contact(event) == (event, None)
