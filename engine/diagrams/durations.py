"""Time standards as a process owner writes them ("45 menit", "1 jam 30 menit", "2 hari") and as the diagram
stores them (ISO 8601: PT45M, PT1H30M, P2D). One place converts both ways, so the modeler, the SOP table, the
SOP document and the pages show and accept the same words. "10 hari kerja" is ten whole days (P10D) counted on
working days: the diagram says so with the step's `hitungan_waktu` property (engine/diagrams/diagram_properties.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import SopflowError

_UNITS = {  # word -> minutes; Indonesian first, English accepted
    "menit": 1, "mnt": 1, "m": 1, "minute": 1, "minutes": 1, "min": 1,
    "jam": 60, "j": 60, "hour": 60, "hours": 60, "h": 60,
    "hari": 24 * 60, "hr": 24 * 60, "day": 24 * 60, "days": 24 * 60, "d": 24 * 60,
}
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_WORKING_DAYS = re.compile(r"(\d+)\s*(?:hari|hr)\s+kerja\b")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


class InvalidDuration(SopflowError):
    """Text that is not a time standard."""


@dataclass(frozen=True)
class Duration:
    """A time standard in whole minutes; `working_days` when its days are counted on working days only."""

    minutes: int
    working_days: bool = False

    @property
    def parts(self) -> tuple[int, int, int]:
        """(days, hours, minutes)."""
        days, rest = divmod(self.minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        return days, hours, minutes

    @property
    def iso(self) -> str:
        days, hours, minutes = self.parts
        clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        return "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")

    @property
    def words(self) -> str:
        """Indonesian words: "1 jam 30 menit", "15 menit", "2 hari"; never "1 jam 0 menit"."""
        day = "hari kerja" if self.working_days else "hari"
        parts = [f"{n} {unit}" for n, unit in zip(self.parts, (day, "jam", "menit"), strict=True) if n]
        return " ".join(parts) or "0 menit"


def parse_words(text: str) -> Duration:
    """ "45 menit", "1 jam 30 menit", "10 hari kerja"; "1,5 jam" is refused (whole numbers only); an ISO
    duration is accepted too."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned.upper().startswith("P"):
        return parse_iso(cleaned.upper())
    working_days = bool(_WORKING_DAYS.search(cleaned))
    if working_days:
        cleaned = _WORKING_DAYS.sub(r"\1 hari", cleaned)
    parts = _PART.findall(cleaned)
    leftover = _PART.sub("", cleaned).replace("dan", "").strip(" ,")
    if not parts or leftover:
        raise InvalidDuration('"%(text)s" is not a time standard: write a number and a unit, e.g. "45 menit" or '
                              '"1 jam 30 menit".', text=text)
    total = 0
    for number, unit in parts:
        if unit not in _UNITS:
            raise InvalidDuration('"%(unit)s" is not a unit of time: use menit, jam or hari.', unit=unit)
        total += int(number) * _UNITS[unit]
    if total <= 0:
        raise InvalidDuration("A time standard must be longer than zero.")
    if working_days and total % (24 * 60):
        raise InvalidDuration('Working days are counted in whole days: write e.g. "10 hari kerja", without hours '
                              'or minutes.')
    return Duration(total, working_days)


def parse_iso(expression: str) -> Duration:
    """PT90M, PT1H30M, P1DT2H; months and years are refused (they have no fixed length)."""
    match = _ISO.match(expression.strip())
    if not match or expression.strip() in ("P", "PT"):
        raise InvalidDuration('"%(text)s" is not a time standard: write a number and a unit, e.g. "45 menit" or '
                              '"1 jam 30 menit".', text=expression)
    days, hours, minutes = (int(value or 0) for value in match.groups())
    return Duration(days * 24 * 60 + hours * 60 + minutes)


def words(expression: str | None, working_days: bool = False) -> str:
    """An ISO time standard in Indonesian words; the text itself when it is not one (shown, never hidden)."""
    if not expression:
        return "-"
    try:
        return Duration(parse_iso(expression).minutes, working_days).words
    except InvalidDuration:
        return expression
