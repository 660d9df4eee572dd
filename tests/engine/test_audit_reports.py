"""Time-standard report, monthly evaluation and the instance record, checked against a data set built here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from engine.audit.audit_evaluation import evaluation_csv, monthly_evaluation, parse_month
from engine.audit.audit_records import instance_record
from engine.audit.audit_reports import breach_rates, heat_class, percentile, time_standard_report
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import SopflowError
from engine.runtime import instances, task_list
from engine.runtime.timers import fire_due_timers
from tests.conftest import JAKARTA, START
from tests.engine.flow import (
    BELUM,
    DISETUJUI,
    PLAN,
    SESUAI,
    STEP_2,
    STEP_4,
    STEP_6,
    complete,
    item_instance,
    start_with_plan,
    the_task,
)

ANSWERS = {"ringkasan_evaluasi": "Dua item tayang, satu terlambat.", "tindak_lanjut": "Ingatkan Dinkes."}


def _publish(ctx: EngineContext, plan_id: int, opd: str, dip_class: str) -> None:
    for spec_id, data in (("Task_2_Siapkan_Data", {**STEP_2, "kelas_dip": dip_class}), ("Task_3_Verifikasi", SESUAI),
                          ("Task_4_Unggah", STEP_4), ("Task_5_Persetujuan", DISETUJUI),
                          ("Task_6_Pastikan_Tayang", STEP_6)):
        complete(ctx, the_task(ctx, plan_id, spec_id, opd), data)


@dataclass
class DataSet:
    plan_id: int
    dinkes_id: int
    disdik_id: int
    may_id: int


@pytest.fixture
def data_set(ctx: EngineContext, clock: ManualClock) -> DataSet:
    """May and July: one berkala item each. November (from START): Disdik serta-merta published after 30 min;
    Dinkes breaches step 2 (done after 100 min), loops once, then is published. December 1: the monitoring."""
    for moment, title in ((datetime(2026, 5, 11, 10, 0, tzinfo=JAKARTA), "Profil dinas"),
                          (datetime(2026, 7, 13, 10, 0, tzinfo=JAKARTA), "Rencana kerja")):
        clock.set(moment)
        plan = start_with_plan(ctx, [{**PLAN[0], "judul": title}])
        _publish(ctx, plan.id, "Dinas Kesehatan", "berkala")
        if title == "Profil dinas":
            may_id = item_instance(ctx, plan.id).id
    clock.set(START)
    plan = start_with_plan(ctx)
    clock.advance(timedelta(minutes=30))
    _publish(ctx, plan.id, "Dinas Pendidikan", "serta_merta")
    clock.advance(timedelta(minutes=70))
    opd = "Dinas Kesehatan"
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), BELUM)
    _publish(ctx, plan.id, opd, "berkala")
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA))
    assert fire_due_timers(ctx) == 1
    [monitoring] = task_list.list_tasks(ctx, task_list.TaskFilter(lane="PPID Utama"))
    instances.complete_task(ctx, monitoring.id, ANSWERS, "ppid.utama")
    return DataSet(plan.id, item_instance(ctx, plan.id, opd).id, item_instance(ctx, plan.id, "Dinas Pendidikan").id,
                   may_id)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([0.0, 0.0, 6000.0], 0.9) == 6000.0


def test_report_per_step_counts_durations_breaches_and_loops(ctx: EngineContext, data_set: DataSet) -> None:
    report = time_standard_report(ctx, date(2026, 11, 1), date(2026, 11, 30), "step")
    rows = {row.key: row for row in report.rows}
    assert list(rows) == ["1", "2", "3", "4", "5", "6"]
    step_2 = rows["2"]
    assert (step_2.tasks, step_2.completed, step_2.on_time, step_2.breaches, step_2.loops) == (3, 3, 2, 1, 0)
    assert (step_2.median_seconds, step_2.p90_seconds, step_2.standard_seconds) == (1800.0, 6000.0, 5400.0)
    assert step_2.on_time_share == pytest.approx(2 / 3)
    step_3 = rows["3"]
    assert (step_3.tasks, step_3.completed, step_3.loops, step_3.breaches, step_3.median_seconds) == (3, 3, 1, 0, 0.0)
    assert (rows["1"].tasks, rows["6"].tasks, rows["6"].standard_seconds) == (1, 2, 900.0)
    checks = report.address_checks
    passed = [(data_set.disdik_id, STEP_6["tautan_publik"], 200, True),
              (data_set.dinkes_id, STEP_6["tautan_publik"], 200, True)]
    assert [(c.instance_id, c.url, c.status, c.ok) for c in checks] == passed
    assert all(c.elapsed_ms is not None and c.elapsed_ms >= 0 for c in checks)


def test_report_per_opd_lane_and_month(ctx: EngineContext, data_set: DataSet) -> None:
    by_opd = {r.key: r for r in time_standard_report(ctx, date(2026, 11, 1), date(2026, 11, 30), "opd").rows}
    assert (by_opd["Dinas Kesehatan"].tasks, by_opd["Dinas Kesehatan"].breaches, by_opd["Dinas Kesehatan"].loops) == (
        7, 1, 1)
    assert (by_opd["Dinas Pendidikan"].tasks, by_opd["Dinas Pendidikan"].breaches) == (5, 0)
    by_lane = {r.key: r for r in time_standard_report(ctx, date(2026, 11, 1), date(2026, 11, 30), "lane").rows}
    assert by_lane["PLID Utama"].loops == 1 and by_lane["PPID Pembantu"].tasks == 3
    months = time_standard_report(ctx, date(2026, 5, 1), date(2026, 12, 31), "month").rows
    assert [(r.key, r.tasks) for r in months] == [("2026-05", 6), ("2026-07", 6), ("2026-11", 13), ("2026-12", 1)]


def test_report_refuses_a_bad_period_or_grouping(ctx: EngineContext) -> None:
    with pytest.raises(SopflowError, match="before the first date"):
        time_standard_report(ctx, date(2026, 11, 30), date(2026, 11, 1))
    with pytest.raises(SopflowError, match="grouped by one of step, lane, opd, month"):
        time_standard_report(ctx, date(2026, 11, 1), date(2026, 11, 30), "colour")


def test_breach_rate_per_step_colours_the_diagram(ctx: EngineContext, data_set: DataSet) -> None:
    rates = breach_rates(ctx, date(2026, 11, 1), date(2026, 11, 30))
    assert rates["Task_2_Siapkan_Data"]["rate"] == pytest.approx(1 / 3)
    assert rates["Task_3_Verifikasi"]["rate"] == 0
    assert heat_class(rates["Task_2_Siapkan_Data"]["rate"]) == "heat-2"
    assert (heat_class(0.0), heat_class(1.0)) == ("heat-0", "heat-4")


def test_monthly_evaluation_of_november(ctx: EngineContext, data_set: DataSet) -> None:
    evaluation = monthly_evaluation(ctx, 2026, 11)
    assert [(p.instance_id, p.dip_class) for p in evaluation.published] == [
        (data_set.disdik_id, "serta_merta"), (data_set.dinkes_id, "berkala")]
    assert evaluation.published[0].link == STEP_6["tautan_publik"]
    [urgent] = evaluation.serta_merta
    assert urgent.title == "Jadwal imunisasi" and urgent.lead_seconds == 1800
    assert [(p.instance_id, p.title) for p in evaluation.berkala_due] == [(data_set.may_id, "Profil dinas")]
    [breach] = evaluation.breaches
    assert (breach.instance_id, breach.step, breach.opd) == (data_set.dinkes_id, "2", "Dinas Kesehatan")
    assert (evaluation.loops, evaluation.loops_by_opd) == (1, {"Dinas Kesehatan": 1})
    [answer] = evaluation.monitoring
    assert answer.actor == "ppid.utama" and answer.answers["tindak_lanjut"] == "Ingatkan Dinkes."
    text = evaluation_csv(evaluation, JAKARTA)
    assert text.splitlines()[0] == "section,instance,title,opd,class,time,value,detail"
    row = f"serta_merta,{data_set.disdik_id},Jadwal imunisasi,Dinas Pendidikan,serta_merta,2026-11-23 09:30,1800"
    assert row in text
    assert "monitoring," in text and "Ingatkan Dinkes." in text


def test_a_month_is_given_as_year_and_month() -> None:
    assert parse_month("2026-11") == (2026, 11)
    with pytest.raises(SopflowError, match="YYYY-MM, not '11/2026'"):
        parse_month("11/2026")


def test_record_lists_every_step_with_actor_standard_validation_and_initials(ctx: EngineContext,
                                                                           data_set: DataSet) -> None:
    record = instance_record(ctx, data_set.dinkes_id)
    assert ("Nomor SOP", "500.12.11/01/DISKOMINFO-INFOKOM/2025") in record.identity  # from the deployed diagram
    assert record.status == "completed" and record.chain_intact
    assert [line.step for line in record.steps] == ["2", "3", "2", "3", "4", "5", "6"]
    first = record.steps[0]
    assert (first.actor, first.duration_seconds, first.within_standard, first.standard_seconds) == (
        "pembantu.dinkes", 6000.0, False, 5400.0)
    assert first.breached_at is not None
    assert record.steps[1].answers["hasil_verifikasi"] == "belum_sesuai"
    assert record.steps[3].answers["cek_akurat"] is True
    assert record.steps[5].answers == {"keputusan_persetujuan": "disetujui", "paraf_nama": "Fajar Alemsyah, S.E.",
                                       "paraf_nip": "198011222006041009"}
    assert [d["flow"] for d in record.decisions] == ["Belum sesuai", "Sesuai", "Disetujui", "Ya"]
    check = record.steps[6].url_check
    assert (check["url"], check["status"], check["ok"]) == (STEP_6["tautan_publik"], 200, True)
    assert check["checked_at"] is not None and check["elapsed_ms"] >= 0
    plan = instance_record(ctx, data_set.plan_id)
    assert [child[0] for child in plan.children] == sorted([data_set.dinkes_id, data_set.disdik_id])
