"""APScheduler wakes the engine at each timer's exact due time. Due times live in the database, so a
restarted scheduler reschedules them all and fires the overdue ones at once (late, and the event says by how
much). A slow resync picks up due times written by other processes; nothing polls every second."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.context import EngineContext
from engine.runtime.outbox import deliver_due
from engine.runtime.plans import PlanWorker
from engine.runtime.timers import fire_timer, pending_timers

log = logging.getLogger(__name__)


class TimerScheduler:
    def __init__(self, ctx: EngineContext, scheduler: BaseScheduler | None = None, identity: str | None = None):
        self.ctx = ctx
        self.identity = identity or f"scheduler@{socket.gethostname()}:{os.getpid()}"
        self._scheduler = scheduler or BackgroundScheduler(timezone="UTC")

    def start(self, paused: bool = False) -> None:
        self.ctx.timer_listeners.append(self.schedule)
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
        if self.schedule in self.ctx.timer_listeners:
            self.ctx.timer_listeners.remove(self.schedule)
        self._scheduler.shutdown(wait=wait)

    def resync(self) -> None:
        """Schedule every pending due time in the database (idempotent: one job per timer), and attempt the
        mail whose retry is due."""
        for timer_id, due in pending_timers(self.ctx):
            self.schedule(timer_id, due)
        try:
            deliver_due(self.ctx)
        except Exception:
            log.exception("the mail outbox could not be read; it is tried again at the next resync")

    def schedule(self, timer_id: int, due: datetime) -> None:
        """One job per timer. A due time already scheduled is left alone: replacing it could race APScheduler's
        own removal of a one-shot job it has just run (JobLookupError in its thread)."""
        if self.job_due(timer_id) == due:
            return
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
        try:
            fire_timer(self.ctx, timer_id, self.identity)
        except Exception:
            # A failing step becomes an incident inside fire_timer; this is the database itself failing.
            log.exception("timer %s: neither fired nor set aside; it is retried at the next resync", timer_id)
