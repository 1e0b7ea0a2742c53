"""Applicants' and officials' personal data leave the events for the contacts topic only."""

from __future__ import annotations

import copy

import orjson
import pytest
from dunghan_common.events import (
    EXAMPLES,
    DossierReceived,
    DossierReceivedWithApplicant,
    OfficialContact,
    decode_contact,
    encode_contact,
    parse_event,
    split_contact,
    split_contacts,
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
    expected = original.data.model_dump(exclude={"applicant"})
    expected["assignee"] = {"id": expected["assignee"]["id"]}
    assert event.data.model_dump() == expected
    assert event.model_dump(exclude={"data"}) == original.model_dump(exclude={"data"})
    assert event.model_fields_set == original.model_fields_set


def test_the_contact_carries_the_applicant_and_its_provenance() -> None:
    original = parse_event(EXAMPLES["dossier.received"])
    _, contact = split_contact(original)
    assert contact is not None
    assert contact.model_dump(exclude_none=True) == {
        "record": "applicant",
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


def test_every_assignee_is_reduced_to_its_id_and_its_contact_split_off() -> None:
    for event_type in ("dossier.received", "dossier.assigned"):
        original = parse_event(EXAMPLES[event_type])
        event, contacts = split_contacts(original)
        assignee = EXAMPLES[event_type]["data"]["assignee"]
        assert event.data.model_dump()["assignee"] == {"id": assignee["id"]}
        official = [c for c in contacts if isinstance(c, OfficialContact)]
        assert [(o.official_id, o.name, o.email) for o in official] == [
            (assignee["id"], assignee["name"], assignee.get("email"))
        ]
        message = to_kafka(event)
        wire = message.value + b"".join(v for _, v in message.headers)
        assert assignee["name"].encode() not in wire
        assert encode_contact(official[0]).key == b"official:" + assignee["id"].encode()
        assert decode_contact(encode_contact(official[0]).value) == official[0]


def test_a_contact_record_from_before_the_split_of_officials_is_an_applicant_s() -> None:
    _, contact = split_contact(parse_event(EXAMPLES["dossier.received"]))
    assert contact is not None
    old = orjson.loads(encode_contact(contact).value)
    del old["record"]
    assert decode_contact(orjson.dumps(old)) == contact


_PERSONAL_TYPES = {"dossier.received", "dossier.assigned"}


@pytest.mark.parametrize("event_type", sorted(set(EXAMPLES) - _PERSONAL_TYPES))
def test_other_events_pass_through_untouched(event_type: str) -> None:
    event = parse_event(EXAMPLES[event_type])
    assert split_contact(event) == (event, None)


def test_splitting_twice_finds_nothing_more() -> None:
    event, _ = split_contact(parse_event(EXAMPLES["dossier.received"]))
    assert split_contact(event) == (event, None)
