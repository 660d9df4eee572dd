"""Offices (OPD) as master data: the list the Admin keeps, what users and plan rows may name, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import column, create_engine, func, insert, inspect, select, table, text

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.database import UTCDateTime
from engine.errors import InvalidTaskData, NotFound, SopflowError
from engine.people import offices, users
from engine.people.records import Office, User
from engine.runtime import instances
from engine.schema import alembic_config
from engine.store import Event, Instance
from tests.engine import flow
from webapp.cli import main


def _count(ctx: EngineContext, model: type[Office] | type[User] | type[Instance]) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_admin_adds_and_deactivates_offices_and_each_change_is_an_event(ctx: EngineContext) -> None:
    office = offices.add_office(ctx, "  Badan   Pendapatan Daerah ", "Bapenda", actor="admin")
    assert (office.name, office.short_name, office.active) == ("Badan Pendapatan Daerah", "Bapenda", True)
    assert "Badan Pendapatan Daerah" in offices.active_offices(ctx)
    offices.set_office_active(ctx, "Badan Pendapatan Daerah", False, actor="admin")
    assert "Badan Pendapatan Daerah" not in offices.active_offices(ctx)
    assert [o.name for o in offices.list_offices(ctx) if not o.active] == ["Badan Pendapatan Daerah"]
    with ctx.db.session() as session:
        kinds = session.scalars(select(Event.type).where(Event.type.like("office_%"), Event.actor == "admin")
                               .order_by(Event.id)).all()
    assert kinds == ["office_added", "office_deactivated"]


@pytest.mark.parametrize(("name", "message"), [("Dinas Kesehatan", "already on the list"),
                                               ("   ", "needs a name"), ("x" * 201, "at most 200")])
def test_a_duplicate_blank_or_overlong_office_is_refused_and_nothing_stored(
    ctx: EngineContext, name: str, message: str
) -> None:
    before = _count(ctx, Office)
    with pytest.raises(SopflowError, match=message):
        offices.add_office(ctx, name)
    assert _count(ctx, Office) == before


def test_deactivating_an_unknown_office_is_not_found(ctx: EngineContext) -> None:
    with pytest.raises(NotFound, match="No office Dinas Pariwisata"):
        offices.set_office_active(ctx, "Dinas Pariwisata", False)


def test_a_pembantu_needs_an_office_of_the_list_and_nothing_is_stored_otherwise(ctx: EngineContext) -> None:
    before = _count(ctx, User)
    with pytest.raises(SopflowError, match="PPID Pembantu account needs an office") as missing:
        users.create_user(ctx, "pembantu.baru", "kata-sandi-123", ["ppid_pembantu"], "Baru", "b@ppid.test")
    assert missing.value.template == "A PPID Pembantu account needs an office from the list."
    with pytest.raises(SopflowError, match="Unknown office Dinas Pariwisata"):
        users.create_user(ctx, "pembantu.baru", "kata-sandi-123", ["ppid_pembantu"], "Baru", "b@ppid.test",
                          "Dinas Pariwisata")
    with pytest.raises(SopflowError, match="Unknown office Dinas Pariwisata"):
        users.update_user(ctx, "pembantu.dinkes", "admin", ["ppid_pembantu"], "Dinkes", "d@ppid.test",
                          "Dinas Pariwisata", True)
    with pytest.raises(SopflowError, match="PPID Pembantu account needs an office"):
        users.update_user(ctx, "pembantu.dinkes", "admin", ["ppid_pembantu"], "Dinkes", "d@ppid.test", None, True)
    assert _count(ctx, User) == before
    with ctx.db.session() as session:
        assert session.scalar(select(User.opd).where(User.username == "pembantu.dinkes")) == "Dinas Kesehatan"


def test_a_user_keeps_an_office_that_was_deactivated_but_cannot_be_given_one(ctx: EngineContext) -> None:
    offices.set_office_active(ctx, "Dinas Kesehatan", False)
    kept = users.update_user(ctx, "pembantu.dinkes", "admin", ["ppid_pembantu"], "Dinkes", "d@ppid.test",
                             "Dinas Kesehatan", True)
    assert kept.opd == "Dinas Kesehatan"
    with pytest.raises(SopflowError, match="Unknown office Dinas Kesehatan"):
        users.update_user(ctx, "pembantu.disdik", "admin", ["ppid_pembantu"], "Disdik", "d@ppid.test",
                          "Dinas Kesehatan", True)


def _plan_refusal(ctx: EngineContext, row: dict[str, str]) -> str:
    plan = flow.start_publication(ctx)
    task = flow.the_task(ctx, plan.id, "Task_1_Arahan")
    before = _count(ctx, Instance)
    with pytest.raises(InvalidTaskData) as refused:
        instances.complete_task(ctx, task.id, {**flow.STEP_1, "rencana_unggahan": [flow.PLAN[0], row]},
                                "ppid.utama")
    assert _count(ctx, Instance) == before  # no item instance started
    assert flow.the_task(ctx, plan.id, "Task_1_Arahan").status == "ready"
    return str(refused.value.field_errors["rencana_unggahan"])


def test_a_plan_row_with_an_office_not_on_the_list_is_refused(ctx: EngineContext) -> None:
    message = _plan_refusal(ctx, {**flow.PLAN[1], "opd": "Dinas Pariwisata"})
    assert message == "item 2: unknown office Dinas Pariwisata; choose one from the list"


def test_a_plan_row_with_a_deactivated_office_is_refused(ctx: EngineContext) -> None:
    offices.set_office_active(ctx, "Dinas Pendidikan", False)
    assert "unknown office Dinas Pendidikan" in _plan_refusal(ctx, flow.PLAN[1])


def test_a_target_date_before_today_on_the_engine_clock_is_refused(ctx: EngineContext, clock: ManualClock) -> None:
    clock.advance(timedelta(days=5))  # 28 November 2026, Jakarta
    message = _plan_refusal(ctx, {**flow.PLAN[1], "tanggal_target": "2026-11-27"})
    assert message == "item 2: the target date 2026-11-27 is in the past"


def test_a_target_date_of_today_is_accepted(ctx: EngineContext, clock: ManualClock) -> None:
    clock.advance(timedelta(days=4))  # 27 November 2026, Jakarta
    plan = flow.start_with_plan(ctx)
    assert {flow.item_instance(ctx, plan.id, opd).opd for opd in flow.PEMBANTU} == set(flow.PEMBANTU)


def test_the_office_command_lists_adds_and_deactivates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["init", "--demo"]) == 0
    capsys.readouterr()
    assert main(["office", "add", "Badan Pendapatan Daerah", "--short", "Bapenda"]) == 0
    assert main(["office", "deactivate", "Dinas Perhubungan"]) == 0
    assert main(["office", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Badan Pendapatan Daerah\tBapenda\taktif" in listing
    assert "Dinas Perhubungan\tDinas Perhubungan\tnonaktif" in listing
    assert "Dinas Kesehatan\tDinas Kesehatan\taktif" in listing
    assert main(["office", "add", "Dinas Kesehatan"]) == 2
    assert "already on the list" in capsys.readouterr().err
    monkeypatch.setenv("SOPFLOW_NEW_PASSWORD", "kata-sandi-123")
    refused = main(["user-add", "pembantu.x", "--role", "ppid_pembantu", "--name", "X", "--email", "x@ppid.test",
                    "--opd", "Dinas Perhubungan"])
    assert refused == 2 and "Unknown office Dinas Perhubungan" in capsys.readouterr().err


def test_the_upgrade_puts_every_office_already_named_on_the_list_and_the_downgrade_removes_it(
        empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "0004")
    engine = create_engine(empty_url)
    people = table("users", column("username"), column("display_name"), column("email"), column("opd"),
                   column("password_hash"), column("active"), column("created_at", UTCDateTime()))
    at = datetime(2026, 10, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for n, opd in enumerate(["Dinas Kesehatan", "Dinas Sosial", "Dinas Kesehatan", None]):
            connection.execute(insert(people).values(username=f"u{n}", display_name="U", email="u@ppid.test",
                                                     opd=opd, password_hash="x", active=True, created_at=at))
    command.upgrade(alembic_config(empty_url), "0005")
    with engine.connect() as connection:
        listed = connection.execute(text("SELECT name, short_name, active FROM offices ORDER BY name")).all()
        epochs = connection.execute(text("SELECT DISTINCT session_epoch FROM users")).scalars().all()
    assert [tuple(row) for row in listed] == [("Dinas Kesehatan", "Dinas Kesehatan", True),
                                              ("Dinas Sosial", "Dinas Sosial", True)]
    assert epochs == [0]
    command.downgrade(alembic_config(empty_url), "0004")
    tables = inspect(engine).get_table_names()
    assert "offices" not in tables and "login_attempts" not in tables
    assert "session_epoch" not in {c["name"] for c in inspect(engine).get_columns("users")}
    engine.dispose()
