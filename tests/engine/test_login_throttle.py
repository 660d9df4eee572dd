"""The login throttle in the database: recording and counting an attempt is atomic on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.people.login_throttle import ThrottleLimits, attempt_succeeded, begin_attempt
from engine.people.records import LoginAttempt

LIMITS = ThrottleLimits(per_account_and_address=5, per_account=8, window=timedelta(minutes=5))


def test_twenty_simultaneous_attempts_let_exactly_five_through(ctx: EngineContext) -> None:
    start = threading.Barrier(20)
    allowed: list[bool] = []

    def attempt() -> None:
        start.wait()
        allowed.append(begin_attempt(ctx, "plid.utama", "10.0.0.1", LIMITS))

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(allowed) == [False] * 15 + [True] * 5
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 5  # refused ones are not kept


def test_limits_per_pair_and_per_account_and_a_success_clears_its_pair(ctx: EngineContext,
                                                                        clock: ManualClock) -> None:
    assert all(begin_attempt(ctx, "Auditor ", "10.0.0.1", LIMITS) for _ in range(5))
    assert not begin_attempt(ctx, "auditor", "10.0.0.1", LIMITS)
    assert all(begin_attempt(ctx, "auditor", "10.0.0.2", LIMITS) for _ in range(3))
    assert not begin_attempt(ctx, "auditor", "10.0.0.3", LIMITS)  # 8 for the account
    assert begin_attempt(ctx, "admin", "10.0.0.1", LIMITS)  # a colleague behind the same address
    attempt_succeeded(ctx, "auditor", "10.0.0.2")
    assert begin_attempt(ctx, "auditor", "10.0.0.3", LIMITS)
    clock.advance(LIMITS.window)
    assert begin_attempt(ctx, "auditor", "10.0.0.1", LIMITS)
