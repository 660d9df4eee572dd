"""Reset links on SQLite and PostgreSQL: written for active accounts only, the token kept as a hash, used once,
expiring; the mail goes through the outbox and loses its link once delivered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import NotAllowed
from engine.people.passwords import check_reset_link, request_reset, reset_password
from engine.people.records import PasswordReset, User
from engine.people.users import authenticate
from engine.store import OutboxMail
from tests.conftest import Mailbox

NEW = "kata-sandi-baru-9"


def _token_in_outbox(ctx: EngineContext) -> str:
    with ctx.db.session() as session:
        body = session.scalars(select(OutboxMail.body).order_by(OutboxMail.id.desc())).first() or ""
    found = re.search(r"/password/reset/(\S+)", body)
    assert found, body
    return found.group(1)


def test_a_link_works_once_then_never_and_expires(ctx: EngineContext, clock: ManualClock, mailbox: Mailbox) -> None:
    request = request_reset(ctx, "PLID.utama", "10.0.0.1")
    token = _token_in_outbox(ctx)
    request.send()
    assert mailbox.wait_for(1)[0]["To"] == "plid.utama@ppid.test"
    with ctx.db.session() as session:
        assert token not in " ".join(session.scalars(select(OutboxMail.body)))
        stored = session.scalars(select(PasswordReset.token_hash).where(PasswordReset.token_hash.is_not(None))).all()
    assert len(stored) == 1 and token not in stored[0]
    assert check_reset_link(ctx, token) == "plid.utama"
    assert reset_password(ctx, token, NEW, NEW) == "plid.utama"
    with pytest.raises(NotAllowed, match="already been used"):
        reset_password(ctx, token, "yang-lain-123", "yang-lain-123")
    assert authenticate(ctx, "plid.utama", NEW).username == "plid.utama"

    request_reset(ctx, "plid.utama", "10.0.0.1")
    late = _token_in_outbox(ctx)
    clock.advance(timedelta(minutes=60))
    with pytest.raises(NotAllowed, match="expired"):
        reset_password(ctx, late, "yang-lain-123", "yang-lain-123")
    assert authenticate(ctx, "plid.utama", NEW).username == "plid.utama"


def test_no_link_for_an_inactive_or_unknown_account(ctx: EngineContext) -> None:
    with ctx.db.session() as session:
        session.scalars(select(User).where(User.username == "auditor")).one().active = False
    for name in ("auditor", "auditor@ppid.test", "tidak.ada", ""):
        assert request_reset(ctx, name, "10.0.0.2").accepted
    with ctx.db.session() as session:
        assert session.scalars(select(OutboxMail)).all() == []
        assert session.scalars(select(PasswordReset).where(PasswordReset.token_hash.is_not(None))).all() == []
