"""The portal format's parser and pure translator (docs/domain.md §10, docs/dvcqg.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import orjson
from ingest.domain.dvcqg import Snapshot, parse_replies, parse_snapshots, parse_steps, unwrap
from ingest.domain.dvcqg_translate import (
    Context,
    Held,
    Limit,
    _iso,
    adopt,
    translate_reply,
    translate_snapshot,
    translate_step,
)

NOW = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)
CODE = "000.00.12.H50-260803-0001"
CTX = Context("igate", NOW, {"1.004227": Limit(20)}.get, lambda _: None, b"key")
BASE: dict[str, Any] = {
    "MaHoSo": CODE,
    "MaTTHC": "1.004227",
    "KenhThucHien": 2,
    "NgayTiepNhan": "20260803090000",
    "NgayHenTra": "20260831170000",
    "TrangThaiHoSo": "2",
}


def snap(**fields: Any) -> Snapshot:
    parsed = parse_snapshots([{**BASE, **fields}], "data", NOW)
    assert not parsed.errors, parsed.errors
    return parsed.items[0]


def run(*snapshots: Snapshot) -> tuple[list[str], list[str], Held]:
    held: Held | None = None
    types: list[str] = []
    recorded: list[str] = []
    for s in snapshots:
        t = translate_snapshot(held, s, CODE, CTX)
        held = t.held
        types += [e.type for e in t.events]
        recorded += t.recorded
    assert held is not None
    return types, recorded, held


def test_both_styles_unwrap_to_the_same_objects() -> None:
    assert unwrap([BASE]) == ([BASE], "")
    assert unwrap({"session": "", "data": [BASE]}) == ([BASE], "data")


def test_numbers_and_strings_are_one_value_and_ids_are_deterministic() -> None:
    a = translate_snapshot(None, snap(TrangThaiHoSo=2), CODE, CTX)
    b = translate_snapshot(None, snap(TrangThaiHoSo="2"), CODE, CTX)
    assert [e.id for e in a.events] == [e.id for e in b.events] == [f"dvcqg.{CODE}.received"]


def test_an_identical_snapshot_derives_nothing_and_a_regressed_one_is_recorded() -> None:
    types, recorded, held = run(
        snap(),
        snap(),
        snap(TrangThaiHoSo="9", NgayKetThucXuLy="20260820100000"),
        snap(TrangThaiHoSo="4"),
    )
    assert types == ["dossier.received", "dossier.result_ready"]
    assert recorded == ["status_regressed"]
    assert held.ready


def test_status_nine_without_an_end_date_is_a_rewritten_status_not_an_end() -> None:
    types, recorded, held = run(snap(), snap(TrangThaiHoSo="9"))
    assert types == ["dossier.received", "system.error"]
    assert recorded == ["status_rewritten"]
    assert not held.ready
    assert not held.ended


def test_an_unknown_procedure_gets_an_inferred_limit_and_the_flag() -> None:
    t = translate_snapshot(None, snap(MaTTHC="9.9"), CODE, CTX)
    (event,) = t.events
    assert event.data.time_limit.value == 21  # 28 days 8 hours, five working days in seven
    assert "time_limit_inferred" in event.__pydantic_extra__["dvcqgflags"].split()


def test_a_new_appointment_outside_a_supplement_is_a_reschedule() -> None:
    types, _, _ = run(snap(), snap(TrangThaiHoSo="4", NgayHenTra="20260907170000"))
    assert types == ["dossier.received", "dossier.rescheduled"]


def test_a_step_assigns_under_a_pseudonym_and_a_synthetic_finish_is_a_fault() -> None:
    steps = parse_steps(
        [
            {"MaHoSo": CODE, "TrangThai": "4", "ThoiDiemXuLy": "20260803100000",
             "NguoiXuLy": "Trần Thị Bình", "PhongBanXuLy": "Phòng A"},
            {"MaHoSo": CODE, "TrangThai": "9", "ThoiDiemXuLy": "20260803100000",
             "NoiDungXuLy": "Hồ sơ không có ngày hẹn trả"},
        ],
        "",
        NOW,
    ).items  # fmt: skip
    assigned = translate_step(None, steps[0], CODE, CTX)
    assert assigned.events[0].data.assignee.id.startswith("dvcqg-")
    assert "Trần" not in assigned.events[0].model_dump_json()
    assert assigned.contacts[0].person.name == "Trần Thị Bình"
    fault = translate_step(assigned.held, steps[1], CODE, CTX)
    assert fault.recorded == ["synthetic_finish"]


def test_what_names_a_code_no_snapshot_showed_is_kept_and_derived_again_when_linked() -> None:
    other = "H50-260803-77777"
    (step,) = parse_steps(
        [{"MaHoSo": other, "TrangThai": "4", "ThoiDiemXuLy": "20260803100000",
          "NguoiXuLy": "Trần Thị Bình", "PhongBanXuLy": "Phòng A"}],
        "",
        NOW,
    ).items  # fmt: skip
    (reply,) = parse_replies(
        [{"MaHoSo": other, "service": "DongBoHoSoMC", "TrangThaiHoSo": "2", "error_code": "0",
          "message": "Đồng bộ thành công", "ThoiDiem": "20260803090500"}],
        "",
        NOW,
    ).items  # fmt: skip
    answered = translate_reply(None, reply, other, CTX)
    stepped = translate_step(answered.held, step, other, CTX)
    before = answered.events + stepped.events
    stored = orjson.dumps(stepped.held.to_json())
    assert "Trần".encode() not in stored  # the official's name went with the event's contact
    held = Held.from_json(orjson.loads(stored))
    assert [u[1] for u in held.unlinked] == ["portal.sync_succeeded", "dossier.assigned"]
    # A snapshot links the code to the dossier another snapshot showed first: derived again there.
    _, _, dossier = run(snap())
    linked = adopt(dossier, held, CODE, CTX)
    assert [(e.type, e.time, e.data) for e in linked.events] == [
        (e.type, e.time, e.data) for e in before
    ]
    assert [e.id for e in linked.events] == [e.id.replace(other, CODE) for e in before]
    assert linked.held.steps["4"] == held.steps["4"]
    assert "unlinked" not in linked.held.to_json()
    # Its own snapshot instead: what it derived is that dossier's and is kept no more.
    assert translate_snapshot(held, snap(MaHoSo=other), other, CTX).held.unlinked == []
    # An answer for a dossier a snapshot showed keeps nothing and leaves the state as it was.
    assert translate_reply(dossier, reply, CODE, CTX).held is dossier


def test_unusable_fields_are_named_as_sent() -> None:
    bad = [{**BASE, "NgayTiepNhan": "20261301090000"}, {**BASE, "TrangThaiHoSo": "0"}]
    errors = parse_snapshots(bad, "data", NOW).errors
    assert [e.field for e in errors] == ["data[0].NgayTiepNhan", "data[1].TrangThaiHoSo"]


def test_the_held_state_survives_its_stored_form_and_a_copy_shares_nothing() -> None:
    _, _, held = run(
        snap(TrangThaiHoSo="5", DanhSachHoSoBoSung=[{"HoSoBoSungId": "1"}]),
        snap(
            TrangThaiHoSo="4",
            DanhSachHoSoBoSung=[{"HoSoBoSungId": "1", "NgayTiepNhanBoSung": "20260810090000"}],
        ),
    )
    stored = orjson.loads(orjson.dumps(held.to_json()))
    assert Held.from_json(stored) == held
    # A stored form of another version: unknown keys dropped, missing ones defaulted.
    older = {k: v for k, v in stored.items() if k != "faults"} | {"gone": 1}
    assert Held.from_json(older) == dataclasses.replace(held, faults=[])
    copy = held.copy()
    copy.supplements["1"][1] = False
    copy.files.append("x")
    copy.steps["4"] = "x"
    copy.faults.append("x")
    assert Held.from_json(stored) == held  # the original is untouched


def test_the_translators_iso_text_is_isoformats() -> None:
    local = snap(NgayTiepNhan="20260831235959").received_at
    assert local is not None
    for moment in (local, NOW, NOW.replace(microsecond=120), local.astimezone(dt.UTC)):
        assert _iso(moment) == moment.isoformat()
