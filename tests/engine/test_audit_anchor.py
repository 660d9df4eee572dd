"""Anchors: someone who rewrites every row and the chain head consistently passes `audit verify`, but not an
anchor written before the rewrite; `audit anchor` writes it to a file or mails it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from engine.audit.audit_chain import verify_all
from engine.audit.events import GENESIS, content_digest, global_digest
from engine.context import EngineContext
from engine.store import Event, EventChainHead, Instance
from tests.conftest import Mailbox
from tests.engine.flow import start_with_plan
from webapp.cli import main


@pytest.fixture
def cli_ctx(ctx: EngineContext, monkeypatch: pytest.MonkeyPatch) -> EngineContext:
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("SOPFLOW_SMTP_PORT", str(ctx.settings.smtp.port))
    return ctx


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        status = main(list(args))
    except SystemExit as exit:
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out + err


def _rewrite_history(ctx: EngineContext, event_id: int, actor: str) -> None:
    """The attacker with full database access: change one event, then recompute every hash after it, every
    instance's newest hash and the chain head, so that the database is consistent again."""
    with ctx.db.engine.begin() as connection:
        if ctx.db.engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER events_no_change ON events"))
        else:
            connection.execute(text("DROP TRIGGER events_no_update"))
    with ctx.db.session() as session, session.begin():
        session.get_one(Event, event_id).actor = actor
        stream_heads: dict[tuple[int | None, str], str] = {}
        global_head = GENESIS
        for event in session.scalars(select(Event).order_by(Event.id)):
            key = (event.instance_id, "" if event.instance_id is not None else event.process_id)
            event.prev_hash = stream_heads.get(key, GENESIS)
            event.hash = content_digest(event.prev_hash, event)
            event.global_prev_hash = global_head
            event.global_hash = global_head = global_digest(global_head, event.hash)
            stream_heads[key] = event.hash
        for instance in session.scalars(select(Instance)):
            instance.last_event_hash = stream_heads[(instance.id, "")]
        session.get_one(EventChainHead, 1).hash = global_head


def test_a_consistent_rewrite_passes_verify_but_not_the_anchor_taken_before_it(
        cli_ctx: EngineContext, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    start_with_plan(cli_ctx)
    anchors = tmp_path / "anchors.jsonl"
    status, out = _run(capsys, "audit", "anchor", "--file", str(anchors))
    assert status == 0 and '"global_hash"' in out
    start_with_plan(cli_ctx)
    status, _ = _run(capsys, "audit", "anchor", "--file", str(anchors))
    assert status == 0 and len(anchors.read_text(encoding="utf-8").splitlines()) == 2

    status, out = _run(capsys, "audit", "verify", "--anchors", str(anchors))
    assert status == 0 and "0 of the anchors" in out and "every chain is intact" in out

    _rewrite_history(cli_ctx, 5, "pemalsu")
    assert verify_all(cli_ctx).intact  # the rewrite is consistent: the database alone cannot tell
    status, out = _run(capsys, "audit", "verify", "--anchors", str(anchors))
    assert status == 1
    assert "2 of the anchors" in out and "BROKEN: anchor: event " in out and "the log now has" in out


def test_an_anchor_is_mailed_and_a_missing_destination_or_a_bad_file_is_refused(
        cli_ctx: EngineContext, capsys: pytest.CaptureFixture[str], mailbox: Mailbox, tmp_path: Path) -> None:
    start_with_plan(cli_ctx)
    status, out = _run(capsys, "audit", "anchor", "--mail", "arsip@tanjabtimkab.go.id")
    assert status == 0
    mail = mailbox.wait_for(1)[0]
    assert mail["To"] == "arsip@tanjabtimkab.go.id" and out.strip() in mail.get_content()
    with cli_ctx.db.session() as session:
        head = session.get_one(EventChainHead, 1)
    assert head.hash in mail.get_content()

    status, out = _run(capsys, "audit", "anchor")
    assert status != 0 and "--file" in out
    broken = tmp_path / "broken.jsonl"
    broken.write_text("not json\n", encoding="utf-8")
    status, out = _run(capsys, "audit", "verify", "--anchors", str(broken))
    assert status != 0 and "Line 1 of the anchor file" in out
    status, out = _run(capsys, "audit", "verify", "--anchors", str(tmp_path / "absent.jsonl"))
    assert status != 0 and "cannot be read" in out
