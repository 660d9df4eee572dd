"""`sopflow audit verify | replay | export`: what an auditor runs from a shell."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import text

from engine.context import EngineContext
from tests.engine.flow import item_instance, start_with_plan
from webapp.cli import main


@pytest.fixture
def cli_ctx(ctx: EngineContext, monkeypatch: pytest.MonkeyPatch) -> EngineContext:
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", ctx.settings.database_url)
    return ctx


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        status = main(list(args))
    except SystemExit as exit:
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_verify_says_intact_then_names_the_first_broken_link(cli_ctx: EngineContext,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    start_with_plan(cli_ctx)
    status, out, _ = _run(capsys, "audit", "verify")
    assert status == 0 and "every chain is intact" in out and "global head " in out
    with cli_ctx.db.engine.begin() as connection:
        if cli_ctx.db.engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER events_no_change ON events"))
        else:
            connection.execute(text("DROP TRIGGER events_no_update"))
        connection.execute(text("UPDATE events SET actor = 'pemalsu' WHERE id = 7"))
    status, out, _ = _run(capsys, "audit", "verify")
    assert status == 1
    assert "BROKEN: first broken link: " in out and "event 7: content:" in out


def test_replay_confirms_an_instance_and_refuses_an_unknown_one(cli_ctx: EngineContext,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    plan = start_with_plan(cli_ctx)
    item = item_instance(cli_ctx, plan.id, "Dinas Kesehatan")
    status, out, _ = _run(capsys, "audit", "replay", str(item.id))
    assert status == 0 and f"instance {item.id}: replay of " in out and "equals the stored state" in out
    status, out, err = _run(capsys, "audit", "replay", "999999")
    assert status == 2 and err == "sopflow: error: There is no item 999999.\n"
    with cli_ctx.db.engine.begin() as connection:
        connection.execute(text("UPDATE instances SET status = 'cancelled' WHERE id = :id"), {"id": item.id})
    status, out, _ = _run(capsys, "audit", "replay", str(item.id))
    assert status == 1 and out == (f"instance {item.id}: DIVERGES: The item is cancelled but the replay ends "
                                   "running.\n")


def test_export_gives_an_instance_as_csv_and_a_date_range_as_json(cli_ctx: EngineContext,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    plan = start_with_plan(cli_ctx)
    status, out, _ = _run(capsys, "audit", "export", "--instance", str(plan.id))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and rows[0]["type"] == "instance_started"
    assert {r["instance_id"] for r in rows} == {str(plan.id)}
    assert json.loads(rows[0]["payload"])["process"] == "ppid_publikasi"
    status, out, _ = _run(capsys, "audit", "export", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "json")
    events = json.loads(out)
    assert status == 0 and len(events) > len(rows) and events[0]["global_hash"]
    status, _, _ = _run(capsys, "audit", "export", "--from", "2026-11-24", "--to", "2026-11-30")
    assert status == 0


@pytest.mark.parametrize(("args", "message"), [
    (("--from", "2026-11-23"), "give an instance, or both the first and the last date"),
    (("--from", "23-11-2026", "--to", "2026-11-24"), "--from must be a date as YYYY-MM-DD, not '23-11-2026'"),
    (("--from", "2026-11-24", "--to", "2026-11-23"), "the last date is before the first date"),
    (("--instance", "1", "--from", "2026-11-24", "--to", "2026-11-25"), "give either an instance or a date range"),
])
def test_export_refuses_a_bad_query_in_one_line(cli_ctx: EngineContext, capsys: pytest.CaptureFixture[str],
                                                args: tuple[str, ...], message: str) -> None:
    status, out, err = _run(capsys, "audit", "export", *args)
    assert status == 2 and out == "" and err.startswith(f"sopflow: error: {message}") and err.count("\n") == 1


def test_evaluation_prints_the_month_as_csv_and_refuses_a_bad_month(cli_ctx: EngineContext,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "audit", "evaluation", "2026-11")
    assert status == 0 and out == "section,instance,title,opd,class,time,value,detail\n"
    status, out, err = _run(capsys, "audit", "evaluation", "11-2026")
    assert (status, out) == (2, "") and err == "sopflow: error: The month must be given as YYYY-MM, not '11-2026'.\n"
