"""A new SOP from its table: the seed SOP's own table and "Layanan Permohonan Informasi Publik" (10 working
days, extendable once by 7) generate diagrams that validate, deploy and run end to end; the drawing has no
overlapping shapes and none outside its lane; every problem of a table names its row and column."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.diagrams import definitions
from engine.diagrams.diagram_xml import NS
from engine.diagrams.sop_document import build_sop_document
from engine.diagrams.sop_generator import generate_diagram, process_id_of
from engine.diagrams.sop_table import InvalidTable, SopTable, read_file, read_table, template_csv, template_xlsx
from engine.diagrams.timer_paths import BPMNDI_NS, DC_NS
from engine.runtime import instances, task_list
from engine.runtime.calendar import WorkingCalendar
from engine.runtime.timers import fire_due_timers
from engine.store import Event, Instance, WorkItem
from handlers import HANDLERS
from tests.conftest import JAKARTA, ROOT
from tests.engine.test_validation import SETTINGS

EXAMPLES = ROOT / "examples" / "sop"
LANES = list(SETTINGS.lane_roles)
OFFICE_LANES = [lane for lane, role in SETTINGS.lane_roles.items() if role in SETTINGS.office_roles]
ACTOR_OF_LANE = {"PPID Utama": "ppid.utama", "PLID Utama": "plid.utama", "PPID Pembantu": "pembantu.dinkes"}


def _table(name: str) -> SopTable:
    path = EXAMPLES / f"{name}.csv"
    return read_file(path.name, path.read_bytes(), LANES, OFFICE_LANES)


def _deploy(ctx: EngineContext, table: SopTable) -> str:
    definitions.deploy(ctx, generate_diagram(table, OFFICE_LANES), "pemilik.proses", note="dari tabel SOP")
    return process_id_of(table.name)


def _open(ctx: EngineContext, instance_id: int) -> WorkItem:
    (item,) = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance_id))
    return item


def _complete(ctx: EngineContext, item: WorkItem, **data: object) -> WorkItem:
    assert item.lane is not None
    return instances.complete_task(ctx, item.id, dict(data), ACTOR_OF_LANE[item.lane])


def _events(ctx: EngineContext, instance_id: int, kind: str) -> list[Event]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Event).where(Event.instance_id == instance_id, Event.type == kind)))


def test_the_seed_table_runs_end_to_end_with_its_loop_and_a_breach(ctx: EngineContext, clock: ManualClock) -> None:
    table = _table("ppid_publikasi")
    process_id = _deploy(ctx, table)
    instance = instances.start_instance(ctx, process_id, "ppid.utama")
    walked = []
    answers = {3: ["tidak", "ya"], 5: ["ya"], 6: ["ya"]}  # step 3 sends the item back to step 2 once
    while True:
        items = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance.id))
        if not items:
            break
        (item,) = items
        step = int(item.step or 0)
        walked.append(step)
        if step == 4 and walked.count(4) == 1:  # let step 4's time standard (30 menit) pass
            clock.advance(timedelta(minutes=31))
            fire_due_timers(ctx)
        data: dict[str, object] = {"opd": "Dinas Kesehatan", "judul": "Profil OPD"} if step == 1 else {}
        if step in answers:
            data[f"keputusan_{step}"] = answers[step].pop(0)
            if data[f"keputusan_{step}"] == "tidak":
                data[f"alasan_{step}"] = "Ringkasan belum lengkap."
        _complete(ctx, item, **data)
    assert walked == [1, 2, 3, 2, 3, 4, 5, 6, 7]
    with ctx.db.session() as session:
        assert session.get(Instance, instance.id).status == "completed"  # type: ignore[union-attr]
    breaches = _events(ctx, instance.id, "time_standard_breached")
    assert [(event.payload["step"], event.payload["time_standard"]) for event in breaches] == [("4", "PT30M")]
    # The SOP document rendered from the generated diagram reproduces the table, row by row.
    rows = build_sop_document(ctx, [process_id]).rows
    assert [(r.number, r.activity, r.lane, r.time_text, r.output) for r in rows] == [
        (str(row.number), row.activity, row.lane, row.duration.words, row.output) for row in table.rows]
    assert rows[2].loop_names == ("Tidak",) and rows[1].loop_in
    assert rows[2].note == "Belum sesuai: kembali ke langkah 2 dengan alasannya; Ya: ke langkah 4; Tidak: ke langkah 2"
    assert rows[6].note == "Bersama PLID Utama"


def test_requests_are_answered_in_working_days_across_the_weekend_and_holidays(settings: object) -> None:
    from dataclasses import replace

    from engine.config import Settings

    assert isinstance(settings, Settings)
    christmas_eve = date(2026, 12, 24)  # a cuti bersama added by the office
    calendar = replace(settings.calendar, extra_holidays=frozenset({christmas_eve}))
    friday = datetime(2026, 12, 11, 10, 0, tzinfo=JAKARTA)
    clock = ManualClock(friday)
    ctx = EngineContext.create(replace(settings, calendar=calendar), clock=clock, handlers=HANDLERS)
    process_id = _deploy(ctx, _table("layanan_permohonan_informasi"))
    instance = instances.start_instance(ctx, process_id, "plid.utama")
    _complete(ctx, _open(ctx, instance.id), opd="Dinas Kesehatan", judul="Permohonan data stunting")
    search = _open(ctx, instance.id)
    assert (search.lane, search.opd, search.item_label) == ("PPID Pembantu", "Dinas Kesehatan",
                                                            "Permohonan data stunting")
    # 10 working days from Friday 11 December: 14-18, 21-23, (24 cuti bersama, 25 Natal) 28 and 29 December
    assert search.due_at == datetime(2026, 12, 29, 10, 0, tzinfo=JAKARTA)
    clock.set(datetime(2026, 12, 29, 9, 59, tzinfo=JAKARTA))
    fire_due_timers(ctx)
    assert _events(ctx, instance.id, "time_standard_breached") == []
    clock.set(datetime(2026, 12, 29, 10, 0, tzinfo=JAKARTA))
    fire_due_timers(ctx)
    assert len(_events(ctx, instance.id, "time_standard_breached")) == 1
    _complete(ctx, search, keputusan_2="ya")  # extended once, by 7 working days
    extension = _open(ctx, instance.id)
    assert extension.step == "3"
    # from Tuesday 29 December 10:00: 30 and 31 December, (1 January) 4, (5 Isra Mikraj) 6, 7, 8 and 11 January
    assert extension.due_at == datetime(2027, 1, 11, 10, 0, tzinfo=JAKARTA)
    _complete(ctx, extension)
    check = _open(ctx, instance.id)
    _complete(ctx, check, keputusan_4="ya")
    _complete(ctx, _open(ctx, instance.id))
    with ctx.db.session() as session:
        assert session.get(Instance, instance.id).status == "completed"  # type: ignore[union-attr]
    ctx.db.dispose()


def test_working_days_keep_the_time_of_day_and_start_a_weekend_request_on_monday() -> None:
    calendar = WorkingCalendar(timezone=JAKARTA)
    saturday = datetime(2026, 12, 5, 20, 0, tzinfo=JAKARTA)
    assert calendar.deadline(saturday, timedelta(days=1), working_days=True) == datetime(
        2026, 12, 8, 8, 0, tzinfo=JAKARTA)
    tuesday = datetime(2026, 12, 8, 14, 30, tzinfo=JAKARTA)
    assert calendar.deadline(tuesday, timedelta(days=3), working_days=True) == datetime(
        2026, 12, 11, 14, 30, tzinfo=JAKARTA)


def _boxes(xml: bytes) -> dict[str, tuple[float, float, float, float]]:
    root = etree.fromstring(xml)
    return {str(s.get("bpmnElement")): tuple(float(b.get(k, 0)) for k in ("x", "y", "width", "height"))
            for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape") if (b := s.find(f"{{{DC_NS}}}Bounds")) is not None}


@pytest.mark.parametrize("name", ["ppid_publikasi", "layanan_permohonan_informasi"])
def test_the_generated_drawing_has_no_overlapping_shapes_and_none_outside_its_lane(name: str) -> None:
    xml = generate_diagram(_table(name), OFFICE_LANES)
    root = etree.fromstring(xml)
    boxes = _boxes(xml)
    lanes = {str(lane.get("id")): [str(ref.text) for ref in lane.iterfind("bpmn:flowNodeRef", NS)]
             for lane in root.iterfind(".//bpmn:lane", NS)}
    nodes = [node for members in lanes.values() for node in members]
    assert set(nodes) == {k for k in boxes if k not in lanes and not k.startswith("Participant")}
    for lane, members in lanes.items():
        lx, ly, lw, lh = boxes[lane]
        for node in members:
            x, y, w, h = boxes[node]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (node, lane)
    for a, b in itertools.combinations(nodes, 2):
        ax, ay, aw, ah = boxes[a]
        bx, by, bw, bh = boxes[b]
        attached = {a, b} & {str(t.get("id")) for t in root.iterfind(".//bpmn:boundaryEvent", NS)
                             if t.get("attachedToRef") in {a, b}}
        if attached:
            continue  # a timer sits on its task's edge by design
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    lane_boxes = sorted(boxes[lane] for lane in lanes)
    for upper, lower in itertools.pairwise(lane_boxes):
        assert upper[1] + upper[3] <= lower[1]


def test_the_template_and_the_examples_read_back_the_same() -> None:
    table = _table("ppid_publikasi")
    assert read_file("sop.csv", template_csv(table), LANES, OFFICE_LANES) == table
    assert read_file("sop.xlsx", template_xlsx(table), LANES, OFFICE_LANES) == table
    with pytest.raises(InvalidTable) as empty:
        read_file("kosong.xlsx", template_xlsx(), LANES, OFFICE_LANES)
    assert {(p.row, p.column) for p in empty.value.problems} == {(None, "Nama SOP"), (None, "Kegiatan")}


def _row(**cells: str) -> dict[str, str]:
    return {"kegiatan": "Memeriksa", "pelaksana": "PLID Utama", "waktu": "15 menit", **cells}


def test_every_problem_of_a_table_names_its_row_and_column() -> None:
    with pytest.raises(InvalidTable) as error:
        read_table({"nama": "Uji"}, [
            _row(no="1"),
            _row(no="2", pelaksana="Bagian Umum"),
            _row(no="3", waktu="45 detik"),
            _row(no="4", keputusan="Lengkap?", ya="9"),
            _row(no="5", tidak="2"),
            _row(no="6", keputusan="Benar?", ya="6", tidak="selesai"),
            _row(no="6"),
        ], LANES, OFFICE_LANES)
    found = {(p.row, p.column): str(p.error) for p in error.value.problems}
    assert set(found) == {(2, "Pelaksana"), (3, "Waktu"), (4, "Jika ya"), (4, "Jika tidak"), (5, "Keputusan"),
                          (6, "Jika ya"), (6, "No")}
    assert "Bagian Umum" in found[(2, "Pelaksana")] and "PPID Utama" in found[(2, "Pelaksana")]
    assert "detik" in found[(3, "Waktu")]
    with pytest.raises(InvalidTable) as first:
        read_table({"nama": "Uji"}, [_row(no="1", pelaksana=OFFICE_LANES[0])], LANES, OFFICE_LANES)
    assert [(p.row, p.column) for p in first.value.problems] == [(1, "Pelaksana")]


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("sop.xlsx", b"PK\x03\x04 not really a workbook", "Excel"),
    ("sop.csv", "No;Kegiatan\r\n1;Menerima".encode("utf-16"), "UTF-8"),
    ("sop.pdf", b"%PDF-1.4", ".csv"),
    ("sop.csv", b"Nama SOP;Uji\r\n", "No"),
    ("sop.csv", b"Nama SOP;Uji\r\nNo;Kegiatan;Pelaksana\r\n", "Waktu"),
])
def test_a_file_that_is_not_a_table_is_refused_with_its_reason(filename: str, content: bytes, message: str) -> None:
    with pytest.raises(Exception) as error:
        read_file(filename, content, LANES, OFFICE_LANES)
    problems = getattr(error.value, "problems", None)
    text = " ".join(str(p.error) for p in problems) if problems else str(error.value)
    assert message in text


def test_the_examples_are_in_the_repository() -> None:
    assert {p.name for p in Path(EXAMPLES).glob("*.csv")} >= {"ppid_publikasi.csv",
                                                              "layanan_permohonan_informasi.csv"}
