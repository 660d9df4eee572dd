"""PostgreSQL tells the scheduler of every timer another process makes pending: a trigger on `timers`
(migration 0013) sends NOTIFY in the writing transaction, delivered when it commits; this thread LISTENs on
its own connection and schedules the rows named. If the connection fails, it reconnects after a pause
(the periodic resync covers the gap)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

import psycopg
from sqlalchemy import select

from engine.context import EngineContext
from engine.store import Timer

CHANNEL = "sopflow_timers"
RECONNECT_SECONDS = 5.0
log = logging.getLogger(__name__)


class TimerWakeup:
    def __init__(self, ctx: EngineContext, schedule: Callable[[int, datetime], None]) -> None:
        self.ctx = ctx
        self.schedule = schedule
        self._stopping = threading.Event()
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sopflow-timer-wakeup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        url = self.ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stopping.is_set():
                        ids = {int(n.payload) for n in connection.notifies(timeout=1.0, stop_after=1)}
                        if ids:  # and what a burst sends with it, in one query
                            ids |= {int(n.payload) for n in connection.notifies(timeout=0.05, stop_after=1000)}
                            self._schedule(ids)
            except Exception:
                self.listening.clear()
                log.exception("timer notifications interrupted; listening again in %.0f s", RECONNECT_SECONDS)
                self._stopping.wait(RECONNECT_SECONDS)

    def _schedule(self, ids: set[int]) -> None:
        with self.ctx.db.session() as session:
            rows = session.execute(select(Timer.id, Timer.due_at).where(Timer.id.in_(ids),
                                                                         Timer.status == "pending")).all()
        for timer_id, due in rows:
            self.schedule(timer_id, due)
