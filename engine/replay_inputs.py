"""What a replay takes from the log instead of recomputing it: the deadlines. A deadline depends on the
calendar of its day (holidays, a cuti bersama added later, working hours); the log records each task's due
time when it became ready, so a configuration changed since never makes an untouched instance diverge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from engine.calendar import WorkingCalendar
from engine.spiff import iso_duration
from engine.store import Event


@dataclass(frozen=True)
class RecordedCalendar(WorkingCalendar):
    """A working calendar whose deadlines are those the log recorded (by start moment and duration); one the
    log does not know (a timer not attached to a user task) is computed as before."""

    recorded: Mapping[tuple[datetime, timedelta], datetime] = field(default_factory=dict, compare=False,
                                                                     hash=False)

    def deadline(self, start: datetime, duration: timedelta) -> datetime:
        found = self.recorded.get((start, duration))
        return found if found is not None else super().deadline(start, duration)


def recorded_deadlines(log: Iterable[Event]) -> dict[tuple[datetime, timedelta], datetime]:
    """(moment a task became ready, its time standard) -> the due time the log recorded for it."""
    deadlines = {}
    for event in log:
        standard, due = event.payload.get("time_standard"), event.payload.get("due_at")
        if event.type == "task_ready" and standard and due:
            try:
                duration = iso_duration(standard, event.occurred_at)
            except ValueError:
                continue
            deadlines[(event.occurred_at, duration)] = datetime.fromisoformat(due)
    return deadlines


def calendar_of(log: Iterable[Event], calendar: WorkingCalendar) -> RecordedCalendar:
    values = {f.name: getattr(calendar, f.name) for f in fields(WorkingCalendar)}
    return RecordedCalendar(**values, recorded=recorded_deadlines(log))
