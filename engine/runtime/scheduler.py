"""APScheduler wakes the engine at each timer's exact due time. Due times live in the database, so a
restarted scheduler reschedules them all and fires the overdue ones at once (late, and the event says by how
much). Due times written by other processes arrive on PostgreSQL at once (LISTEN/NOTIFY,
engine/runtime/timer_wakeup.py); everywhere, a periodic resync reads the rows added since the one before last,
and a rare full one (hourly) catches what else changed. Nothing polls every second.

A wake-up fires every due timer, not just its own: due rows claimed by a small pool of threads (one on SQLite;
on PostgreSQL with SKIP LOCKED), what follows each commit handed to a courier thread, which holds the mail
until the firing is idle."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.context import EngineContext
from engine.runtime.outbox import Courier, deliver_due
from engine.runtime.plans import PlanWorker
from engine.runtime.timer_wakeup import TimerWakeup
from engine.runtime.timers import fire_due_batch, newest_timer_id, pending_timers

log = logging.getLogger(__name__)

FULL_RESYNC_SECONDS = 3600
POSTGRESQL_CLAIMERS = 3
HELD_RETRY = timedelta(seconds=1)  # a due timer whose instance another transaction holds


class TimerScheduler:
    def __init__(self, ctx: EngineContext, scheduler: BaseScheduler | None = None, identity: str | None = None):
        self.ctx = ctx
        self.identity = identity or f"scheduler@{socket.gethostname()}:{os.getpid()}"
        self._scheduler = scheduler or BackgroundScheduler(timezone="UTC")
        postgresql = ctx.db.engine.dialect.name == "postgresql"
        self._claimers = POSTGRESQL_CLAIMERS if postgresql else 1
        self._courier = Courier(busy=lambda: self._firing > 0)
        self._wakeup = TimerWakeup(ctx, self.schedule) if postgresql else None
        self._scheduled: dict[int, datetime] = {}
        self._watermarks = (0, 0)  # the newest timer id at the resync before last, and at the last one
        self._resyncs = 0
        self._full_every = max(1, FULL_RESYNC_SECONDS // max(1, ctx.settings.scheduler_resync_seconds))
        self._lock = threading.Lock()
        self._firing = 0
        self._again = False
        self._stopping = False
        self._retry: threading.Timer | None = None

    def start(self, paused: bool = False) -> None:
        self.ctx.timer_listeners.append(self.schedule)
        self._courier.start()
        if self._wakeup is not None:
            self._wakeup.start()
        self.resync()
        self._scheduler.add_job(
            self.resync,
            IntervalTrigger(seconds=self.ctx.settings.scheduler_resync_seconds),
            id="resync",
            replace_existing=True,
        )
        # A plan's items that a crash or another process left queued start here (engine/runtime/plans.py).
        self.ctx.plan_worker = self.ctx.plan_worker or PlanWorker(self.ctx)
        self._scheduler.add_job(self.ctx.plan_worker.wake, IntervalTrigger(
            seconds=self.ctx.settings.scheduler_resync_seconds), id="plans", replace_existing=True)
        self._scheduler.start(paused=paused)
        self.ctx.plan_worker.wake()

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            self._stopping = True
            if self._retry is not None:
                self._retry.cancel()
        if self.schedule in self.ctx.timer_listeners:
            self.ctx.timer_listeners.remove(self.schedule)
        if self._wakeup is not None:
            self._wakeup.stop()
        self._scheduler.shutdown(wait=wait)
        self._courier.stop()

    def resync(self) -> int:
        """Schedule the pending due times of the rows added since the resync before last (a transaction that
        wrote a row with a lower id may have committed after the last one), or of all rows at the first
        resync and every hour; attempt the mail whose retry is due. Returns how many rows it read."""
        full = self._resyncs % self._full_every == 0
        self._resyncs += 1
        newest = newest_timer_id(self.ctx)
        rows = pending_timers(self.ctx, None if full else self._watermarks[0])
        for timer_id, due in rows:
            self.schedule(timer_id, due)
        # After a full read, only a transaction still open during it can hold older unseen rows: NOTIFY (on
        # PostgreSQL) or the next full read covers that rare case.
        self._watermarks = (newest, newest) if full else (self._watermarks[1], newest)
        try:
            deliver_due(self.ctx)
        except Exception:
            log.exception("the mail outbox could not be read; it is tried again at the next resync")
        return len(rows)

    def schedule(self, timer_id: int, due: datetime) -> None:
        """One job per timer. A due time already scheduled is left alone: replacing it could race APScheduler's
        own removal of a one-shot job it has just run (JobLookupError in its thread)."""
        with self._lock:
            if self._scheduled.get(timer_id) == due:
                return
            self._scheduled[timer_id] = due
        self._scheduler.add_job(
            self._fire,
            DateTrigger(run_date=due),
            args=[timer_id],
            id=f"timer-{timer_id}",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def job_due(self, timer_id: int) -> datetime | None:
        job = self._scheduler.get_job(f"timer-{timer_id}")
        return getattr(job, "next_run_time", None)  # a job added before start() has none yet

    def _fire(self, timer_id: int) -> None:
        with self._lock:
            self._scheduled.pop(timer_id, None)
        self.fire_due()

    def _retry_held(self) -> None:
        """Look again shortly. Not an APScheduler job: adding one from a job thread while the scheduler shuts down
        waits for its lock, which shutdown holds while it waits for that very thread."""
        with self._lock:
            if self._stopping or (self._retry is not None and self._retry.is_alive()):
                return
            self._retry = threading.Timer(HELD_RETRY.total_seconds(), self.fire_due)
            self._retry.daemon = True
            self._retry.start()

    def fire_due(self) -> int:
        """Fire what is due, in batches, until nothing is; at most `_claimers` threads at once: a wake-up that
        finds them all busy leaves it to them (they look again before they stop)."""
        with self._lock:
            if self._firing >= self._claimers:
                self._again = True
                return 0
            self._firing += 1
        fired = 0
        try:
            with self._courier.carrying():
                while True:
                    while (batch := fire_due_batch(self.ctx, self.identity)).taken > 0:
                        fired += batch.taken
                    if batch.held:
                        self._retry_held()
                    with self._lock:
                        if not self._again:
                            self._firing -= 1
                            return fired
                        self._again = False
        except Exception:
            # A failing step becomes an incident inside the firing; this is the database itself failing.
            log.exception("due timers could not be read; they are fired at the next wake-up or resync")
            with self._lock:
                self._firing -= 1
            return fired
