"""Values as an Indonesian reader writes them: durations without zero parts, date-times with the zone,
months by name, numbers and sizes with the Indonesian separators; English on request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, session

from engine.errors import Bytes, SopflowError
from webapp.errors import translated
from webapp.formatting import duration, file_size, iso_duration_text, localtime, month_label, number


@pytest.mark.parametrize(("seconds", "text"), [
    (15 * 60, "15 menit"), (60 * 60, "1 jam"), (90 * 60, "1 jam 30 menit"), (2 * 86400, "2 hari"),
    (86400 + 60, "1 hari 1 menit"), (0, "0 menit"), (-45 * 60, "45 menit"),
])
def test_durations_leave_out_zero_parts(app: Flask, seconds: float, text: str) -> None:
    with app.test_request_context():
        assert duration(seconds) == text


def test_values_in_indonesian_and_in_english(app: Flask) -> None:
    moment = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
    with app.test_request_context():
        assert (iso_duration_text("PT15M"), iso_duration_text("PT90M"), iso_duration_text("P1DT2H")) == (
            "15 menit", "1 jam 30 menit", "1 hari 2 jam")
        assert iso_duration_text("P1M") == "P1M"  # not a time standard: shown, never hidden
        assert localtime(moment) == "2 Desember 2026 10.30 WIB"
        assert (month_label("2026-11"), month_label("2026-13")) == ("November 2026", "2026-13")
        assert (number(1234567), number(12.25, 1)) == ("1.234.567", "12,2")
        assert (file_size(812), file_size(8 * 1024), file_size(10 * 1024 * 1024), file_size(1536 * 1024)) == (
            "812 byte", "8,0 KB", "10 MB", "1,5 MB")
        error = SopflowError("%(name)s is %(size)s; the limit is %(limit)s.", name="a.pdf", size=Bytes(12_000_000),
                             limit=Bytes(10 * 1024 * 1024))
        assert translated(error) == "a.pdf berukuran 11,4 MB; batasnya 10 MB."
        assert str(error) == "a.pdf is 12000000 bytes; the limit is 10485760 bytes."
    with app.test_request_context():
        session["lang"] = "en"
        assert (duration(90 * 60), file_size(8 * 1024), number(1234.5, 1)) == ("1 h 30 min", "8.0 KB", "1,234.5")
