import pytest

from engine.diagrams.durations import InvalidDuration, parse_iso, parse_words, words


@pytest.mark.parametrize(("text", "iso", "shown"), [
    ("45 menit", "PT45M", "45 menit"),
    ("1 jam 30 menit", "PT1H30M", "1 jam 30 menit"),
    ("90 menit", "PT1H30M", "1 jam 30 menit"),
    ("1 jam", "PT1H", "1 jam"),
    ("2 hari", "P2D", "2 hari"),
    ("PT15M", "PT15M", "15 menit"),
    ("1 Jam dan 5 Menit", "PT1H5M", "1 jam 5 menit"),
])
def test_words_and_iso_convert_both_ways(text: str, iso: str, shown: str) -> None:
    duration = parse_words(text)
    assert duration.iso == iso
    assert duration.words == shown
    assert words(iso) == shown


@pytest.mark.parametrize("text", ["", "menit", "45", "45 detik", "0 menit", "1,5 jam", "P1M", "PT", "abc 5 menit"])
def test_what_is_not_a_time_standard_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(InvalidDuration) as caught:
        parse_words(text) if not text.startswith("P") else parse_iso(text)
    assert "time standard" in caught.value.template or "unit of time" in caught.value.template


def test_text_that_is_not_a_duration_is_shown_as_it_is() -> None:
    assert words("kira-kira sejam") == "kira-kira sejam"
    assert words(None) == "-"


def test_working_days_are_whole_days_counted_as_working_days() -> None:
    duration = parse_words("10 hari kerja")
    assert (duration.iso, duration.words, duration.working_days) == ("P10D", "10 hari kerja", True)
    assert words("P7D", working_days=True) == "7 hari kerja"
    assert parse_words("2 hari").working_days is False
    with pytest.raises(InvalidDuration) as caught:
        parse_words("1 hari kerja 2 jam")
    assert "whole days" in caught.value.template
