"""Ingest's own record building writes exactly what the shared codec would, for every type."""

from __future__ import annotations

import copy
import os
from datetime import datetime, timedelta, timezone

import orjson
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from dunghan_common.events import EXAMPLES, encode_contact, parse_event, split_contacts, to_kafka
from dunghan_common.kafka.producer import murmur2
from hypothesis import given
from hypothesis import strategies as st
from ingest.adapters.kafka import _rfc3339, to_records


def variants() -> list[dict]:
    """Every example, plus the shapes that take other branches (no subject, extensions...)."""
    out = [copy.deepcopy(e) for e in EXAMPLES.values()]
    received = copy.deepcopy(EXAMPLES["dossier.received"])
    bare = copy.deepcopy(received)
    bare["data"]["applicant"] = {"kind": "citizen", "name": "Lê Thị C"}
    for key in ("receiving_unit_code", "due_at", "assignee"):
        bare["data"].pop(key, None)
    out.append(bare)
    out.append({**received, "dataschema": "https://example.vn/s", "traceparent": "00-ab"})
    outage = copy.deepcopy(EXAMPLES["system.outage_started"])
    outage.pop("subject", None)
    out.append(outage)
    out.append({**copy.deepcopy(EXAMPLES["dossier.assigned"]), "partner": "x1"})
    # The portal format's: an applicant and flags, no dataschema.
    out.append({**copy.deepcopy(received), "dvcqgflags": "time_limit_inferred unknown_unit"})
    return out


def by_codec(events, events_topic: str, contacts_topic: str) -> list[tuple]:
    out = []
    for event in events:
        public, contacts = split_contacts(event)
        m = to_kafka(public)
        out.append((events_topic, m.key, m.value, m.headers))
        for contact in contacts:
            c = encode_contact(contact)
            out.append((contacts_topic, c.key, c.value, c.headers))
    return out


def test_records_equal_the_codecs_for_every_shape() -> None:
    events = [parse_event(raw) for raw in variants()]
    declared = frozenset({"traceparent", "partner", "dvcqgflags"})
    got = [(r.topic, r.key, r.value, r.headers) for r in to_records(events, "ev", "ct", declared)]
    assert got == by_codec(events, "ev", "ct")
    assert sum(1 for r in got if r[0] == "ct") >= 3  # the contacts were split off
    kinds = {orjson.loads(r[2])["record"] for r in got if r[0] == "ct"}
    assert kinds == {"applicant", "official"}
    on_events = b"".join(r[2] for r in got if r[0] == "ev")
    assert "Bình".encode() not in on_events
    assert b"@quangtri.gov.vn" not in on_events


def test_undeclared_extension_attributes_stay_off_the_topics() -> None:
    events = [parse_event(raw) for raw in variants()]
    names = {k for r in to_records(events, "ev", "ct") for k, _ in r.headers}
    assert not names & {"ce_traceparent", "ce_partner"}
    traced = to_records(events, "ev", "ct", frozenset({"traceparent"}))
    names = {k for r in traced for k, _ in r.headers}
    assert "ce_traceparent" in names
    assert "ce_partner" not in names
    assert "ce_dvcqgflags" not in names


@given(st.binary(max_size=64))
def test_murmur2_equals_aiokafkas_partitioner_hash(key: bytes) -> None:
    assert murmur2(key) == aiokafka_murmur2(key)


def test_murmur2_on_random_keys_of_every_length() -> None:
    for length in range(40):
        key = os.urandom(length)
        assert murmur2(key) == aiokafka_murmur2(key)


@given(
    st.datetimes(
        timezones=st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
            lambda m: timezone(timedelta(minutes=m))
        )
    )
)
def test_header_times_are_isoformat_for_every_offset_in_minutes(moment: datetime) -> None:
    assert _rfc3339(moment) == moment.isoformat().encode()
