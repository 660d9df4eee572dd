"""The server log is quiet by default: one line per timer firing and per undelivered mail, no library INFO
chatter (SpiffWorkflow state changes, APScheduler), no traceback; `--verbose` adds them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from engine.runtime.timers import fire_due_timers
from handlers import HANDLERS
from tests.engine.flow import reach_step
from tests.server_log import server_log


def _run_a_breach_with_the_mail_server_down(settings: Settings, clock: ManualClock) -> None:
    down = EngineContext.create(replace(settings, smtp=replace(settings.smtp, port=1)), clock=clock,
                                handlers=HANDLERS)
    reach_step(down, 1)
    clock.advance(timedelta(minutes=15))
    assert fire_due_timers(down) == 2  # step 1's reminder and its breach
    jobs = BackgroundScheduler(timezone="UTC")
    jobs.add_job(print, "date", run_date="2030-01-01T00:00:00+00:00", id="x")  # logs "Adding job tentatively"
    down.db.dispose()


def test_quiet_by_default_one_line_per_timer_and_failed_mail(settings: Settings, clock: ManualClock) -> None:
    with server_log(verbose=False) as stream:
        _run_a_breach_with_the_mail_server_down(settings, clock)
    lines = stream.getvalue().splitlines()
    fired = [line for line in lines if " INFO engine.runtime.timers: timer " in line and " fired: " in line]
    assert len(fired) == 2
    assert any(": event Melewati standar waktu of ppid_publikasi, instance " in line for line in fired)
    assert any(" WARNING engine.runtime.outbox: mail " in line and " not delivered (attempt 1)" in line
               for line in lines)
    assert not [line for line in lines if " spiff." in line or " apscheduler." in line]
    assert not [line for line in lines if line.startswith(("Traceback", " "))], lines
    assert len(lines) <= 4, lines


def test_verbose_adds_the_libraries_info(settings: Settings, clock: ManualClock) -> None:
    with server_log(verbose=True) as stream:
        _run_a_breach_with_the_mail_server_down(settings, clock)
    text = stream.getvalue()
    assert " INFO spiff.workflow: " in text and " INFO apscheduler.scheduler: Adding job tentatively" in text
    assert text.count(" INFO engine.runtime.timers: timer ") == 2
