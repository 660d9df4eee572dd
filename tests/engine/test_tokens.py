"""API tokens have a life cycle: an expiry, a last use, revocation by command and with the user."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import NotAllowed, NotFound, SopflowError
from engine.people import tokens, users
from engine.people.records import ApiToken
from engine.store import Event
from webapp.cli import main


def test_a_token_expires_after_its_days_and_is_refused_at_once(ctx: EngineContext, clock: ManualClock) -> None:
    token = tokens.create_token(ctx, "plid.utama", "ci", expires_days=2)
    assert tokens.user_for_token(ctx, token).username == "plid.utama"
    clock.advance(timedelta(days=2) - timedelta(seconds=1))
    assert tokens.user_for_token(ctx, token).username == "plid.utama"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(NotAllowed, match="expired"):
        tokens.user_for_token(ctx, token)


def test_the_default_expiry_is_ninety_days_and_the_last_use_is_recorded(ctx: EngineContext,
                                                                        clock: ManualClock) -> None:
    token = tokens.create_token(ctx, "plid.utama")
    ((_, row),) = tokens.list_tokens(ctx, "plid.utama")
    assert row.expires_at == clock.now() + timedelta(days=90) and row.last_used_at is None
    clock.advance(timedelta(hours=3))
    tokens.user_for_token(ctx, token)
    ((_, row),) = tokens.list_tokens(ctx, "plid.utama")
    assert row.last_used_at == clock.now()


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_an_expiry_out_of_range_is_refused_and_no_token_stored(ctx: EngineContext, days: int) -> None:
    with pytest.raises(SopflowError, match="1 to 3650 days"):
        tokens.create_token(ctx, "plid.utama", expires_days=days)
    assert tokens.list_tokens(ctx, "plid.utama") == []


def test_revoking_one_label_or_all_of_a_users_tokens(ctx: EngineContext) -> None:
    ci = tokens.create_token(ctx, "plid.utama", "ci")
    laptop = tokens.create_token(ctx, "plid.utama", "laptop")
    other = tokens.create_token(ctx, "ppid.utama", "ci")
    assert tokens.revoke_tokens(ctx, "plid.utama", label="ci", actor="admin") == 1
    with pytest.raises(NotAllowed, match="revoked"):
        tokens.user_for_token(ctx, ci)
    assert tokens.user_for_token(ctx, laptop).username == "plid.utama"
    assert tokens.revoke_tokens(ctx, "plid.utama") == 1
    with pytest.raises(NotAllowed):
        tokens.user_for_token(ctx, laptop)
    assert tokens.user_for_token(ctx, other).username == "ppid.utama"
    with pytest.raises(NotFound, match="No live token"):
        tokens.revoke_tokens(ctx, "plid.utama", label="ci")
    with ctx.db.session() as session:
        revoked = session.scalars(select(Event).where(Event.type == "api_tokens_revoked")).all()
    assert [(e.actor, e.payload["label"]) for e in revoked] == [("admin", "ci"), ("system", None)]


def test_deactivating_a_user_revokes_their_tokens_for_good(ctx: EngineContext) -> None:
    token = tokens.create_token(ctx, "plid.utama")
    users.update_user(ctx, "plid.utama", "admin", ["plid_utama"], "PLID", "p@ppid.test", None, False)
    users.update_user(ctx, "plid.utama", "admin", ["plid_utama"], "PLID", "p@ppid.test", None, True)
    with pytest.raises(NotAllowed, match="revoked"):
        tokens.user_for_token(ctx, token)
    with ctx.db.session() as session:
        assert session.scalars(select(ApiToken.revoked_at)).one() is not None


def test_the_token_command_creates_lists_and_revokes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["init", "--demo"]) == 0
    assert main(["token", "create", "plid.utama", "--label", "ci", "--expires-days", "7"]) == 0
    assert main(["token", "create", "plid.utama", "--label", "laptop"]) == 0
    capsys.readouterr()
    assert main(["token", "revoke", "plid.utama", "--label", "ci"]) == 0
    assert "1 token(s) of plid.utama revoked" in capsys.readouterr().out
    assert main(["token", "list", "plid.utama"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "ID\tLABEL\tCREATED\tEXPIRES\tLAST USED\tSTATE"
    assert sorted((line.split("\t")[1], line.split("\t")[5]) for line in lines[1:]) == [("ci", "revoked"),
                                                                                       ("laptop", "live")]
    assert main(["token", "revoke", "plid.utama"]) == 0
    assert "1 token(s)" in capsys.readouterr().out
    assert main(["token", "list", "nobody"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
