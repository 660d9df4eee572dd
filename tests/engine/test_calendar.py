"""Deadlines in wall-clock and working time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.runtime.calendar import WorkingCalendar

JAKARTA = ZoneInfo("Asia/Jakarta")
WORKING = WorkingCalendar(JAKARTA, working_time=True)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=JAKARTA)


def test_wall_clock_deadline_is_start_plus_duration_in_utc() -> None:
    calendar = WorkingCalendar(JAKARTA)
    due = calendar.deadline(at(27, 15, 55), timedelta(minutes=15))
    assert due == at(27, 16, 10) and due.tzinfo == UTC
    assert calendar.deadline(datetime(2026, 11, 27, 8, 55, tzinfo=UTC), timedelta(hours=1)) == datetime(
        2026, 11, 27, 9, 55, tzinfo=UTC)


def test_friday_afternoon_task_is_due_monday_morning() -> None:
    assert WORKING.deadline(at(27, 15, 55), timedelta(minutes=15)) == at(30, 8, 10)


def test_a_holiday_monday_pushes_the_deadline_to_tuesday() -> None:
    calendar = WorkingCalendar(JAKARTA, working_time=True, extra_holidays=frozenset({date(2026, 11, 30)}))
    assert calendar.deadline(at(27, 15, 55), timedelta(minutes=15)) == at(1, 8, 10, month=12)


def test_national_holidays_are_not_working_days() -> None:
    # 2026-08-17, Independence Day, is a Monday.
    assert WORKING.holiday_name(date(2026, 8, 17)) == "Independence Day"
    assert WORKING.deadline(datetime(2026, 8, 14, 15, 30, tzinfo=JAKARTA), timedelta(hours=1)) == datetime(
        2026, 8, 18, 8, 30, tzinfo=JAKARTA)
    ignoring = WorkingCalendar(JAKARTA, working_time=True, national_holidays=False)
    assert ignoring.is_working_day(date(2026, 8, 17))


def test_counting_starts_at_opening_time_before_office_hours_and_on_weekends() -> None:
    assert WORKING.deadline(at(24, 6, 30), timedelta(minutes=90)) == at(24, 9, 30)
    assert WORKING.deadline(at(28, 11, 0), timedelta(minutes=20)) == at(30, 8, 20)


def test_ninety_minutes_span_the_end_of_the_day() -> None:
    assert WORKING.deadline(at(24, 15, 0), timedelta(minutes=90)) == at(25, 8, 30)


def test_a_deadline_may_fall_exactly_at_closing_time() -> None:
    assert WORKING.deadline(at(24, 15, 0), timedelta(minutes=60)) == at(24, 16, 0)


def test_several_days_of_working_time() -> None:
    # 20 working hours from Monday 09:00 = 7 h Monday + 8 h Tuesday + 5 h Wednesday.
    assert WORKING.deadline(at(23, 9, 0), timedelta(hours=20)) == at(25, 13, 0)


def test_extra_holiday_is_named() -> None:
    calendar = WorkingCalendar(JAKARTA, working_time=True, extra_holidays=frozenset({date(2026, 12, 24)}))
    assert calendar.holiday_name(date(2026, 12, 24)) == "Libur tambahan"
    assert calendar.holiday_name(date(2026, 12, 23)) is None


def test_from_config_reads_days_hours_and_holidays() -> None:
    calendar = WorkingCalendar.from_config("Asia/Jakarta", True, ["mon", "tue"], ["07:30", "15:00"], False,
                                           ["2026-11-24"])
    assert calendar.working_days == frozenset({0, 1})
    assert (calendar.day_start, calendar.day_end) == (time(7, 30), time(15, 0))
    assert calendar.extra_holidays == frozenset({date(2026, 11, 24)})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Asia/Jakartaa"}, "unknown time zone 'Asia/Jakartaa'"),
        ({"working_days": ["mon", "fry"]}, "unknown working day 'fry'"),
        ({"hours": ["08:00", "25:00"]}, "invalid time '25:00'"),
        ({"hours": ["08:00"]}, "working hours must be"),
        ({"hours": ["16:00", "08:00"]}, "must start before they end"),
        ({"extra_holidays": ["2026-13-01"]}, "invalid holiday date '2026-13-01'"),
        ({"working_days": []}, "at least one working day"),
    ],
)
def test_from_config_names_the_bad_value(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"timezone": "Asia/Jakarta", "working_time": True, "working_days": ["mon"],
                                 "hours": ["08:00", "16:00"], "national_holidays": True, "extra_holidays": []}
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_config(**{**values, **kwargs})  # type: ignore[arg-type]


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        WORKING.deadline(datetime(2026, 11, 24, 9, 0), timedelta(minutes=15))
