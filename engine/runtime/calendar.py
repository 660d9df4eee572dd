"""Deadlines in wall-clock or working time (working days and hours, Indonesian and extra holidays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> dict[date, str]:
    import holidays  # here: its calendars take a while to import, and most commands never ask for a holiday

    return dict(holidays.country_holidays("ID", years=year).items())


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: ZoneInfo
    working_time: bool = False
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: time = time(8, 0)
    day_end: time = time(16, 0)
    national_holidays: bool = True
    extra_holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.working_days:
            raise ValueError("a working calendar needs at least one working day")
        if self.day_start >= self.day_end:
            raise ValueError(f"working hours must start before they end ({self.day_start} >= {self.day_end})")

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra_holidays:
            return "Libur tambahan"
        return _national_holidays(day.year).get(day) if self.national_holidays else None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and self.holiday_name(day) is None

    def deadline(self, start: datetime, duration: timedelta, working_days: bool = False) -> datetime:
        """start must be timezone-aware; returns an aware datetime in UTC. With `working_days` the duration's
        whole days count working days only, whatever `working_time` says ("10 hari kerja")."""
        if start.tzinfo is None:
            raise ValueError("deadline needs a timezone-aware start")
        if working_days:
            return self._after_working_days(start, duration.days)
        if not self.working_time:
            return (start + duration).astimezone(UTC)
        local = start.astimezone(self.timezone)
        day, remaining = local.date(), duration
        moment = local.time().replace(tzinfo=None)
        while True:
            if self.is_working_day(day) and moment < self.day_end:
                begin = max(moment, self.day_start)
                opening = datetime.combine(day, begin, self.timezone)
                available = datetime.combine(day, self.day_end, self.timezone) - opening
                if remaining <= available:
                    return (opening + remaining).astimezone(UTC)
                remaining -= available
            day, moment = day + timedelta(days=1), time(0, 0)

    def _after_working_days(self, start: datetime, days: int) -> datetime:
        """The same time of day on the `days`-th working day after the start; a start outside a working day
        counts from the next working day's opening."""
        local = start.astimezone(self.timezone)
        day, moment = local.date(), local.time().replace(tzinfo=None)
        if not self.is_working_day(day):
            while not self.is_working_day(day):
                day += timedelta(days=1)
            moment = self.day_start
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return datetime.combine(day, moment, self.timezone).astimezone(UTC)

    @classmethod
    def from_config(cls, timezone: str, working_time: bool, working_days: list[str], hours: list[str],
                    national_holidays: bool, extra_holidays: list[str]) -> WorkingCalendar:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {timezone!r}") from error
        unknown = [d for d in working_days if d not in DAY_NAMES]
        if unknown:
            raise ValueError(f"unknown working day {unknown[0]!r}")
        if len(hours) != 2:
            raise ValueError(f"working hours must be [start, end], got {hours!r}")
        return cls(
            timezone=zone,
            working_time=working_time,
            working_days=frozenset(DAY_NAMES.index(d) for d in working_days),
            day_start=_time(hours[0]),
            day_end=_time(hours[1]),
            national_holidays=national_holidays,
            extra_holidays=frozenset(_date(d) for d in extra_holidays),
        )


def _time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"invalid time {text!r}") from error


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"invalid holiday date {text!r}") from error
