"""Settings: config.yaml with environment overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load_settings
from engine.errors import ConfigError
from tests.conftest import ROOT


def test_defaults_are_sqlite_under_instance_jakarta_and_wall_clock() -> None:
    settings = load_settings(ROOT / "config.yaml", environ={})
    assert settings.database_url == f"sqlite:///{ROOT / 'instance' / 'sopflow.db'}"
    assert settings.timezone == "Asia/Jakarta" and settings.calendar.working_time is False
    assert settings.lane_roles == {"PPID Utama": "ppid_utama", "PLID Utama": "plid_utama",
                                   "PPID Pembantu": "ppid_pembantu"}
    assert settings.bpmn_dir == ROOT / "bpmn"


def test_environment_overrides_sections_and_top_level_keys() -> None:
    settings = load_settings(ROOT / "config.yaml", environ={
        "SOPFLOW_DATABASE_URL": "postgresql+psycopg://u@db/sopflow",
        "SOPFLOW_SMTP_HOST": "mail.tanjabtimkab.go.id",
        "SOPFLOW_SMTP_PORT": "587",
        "SOPFLOW_SMTP_PASSWORD": "rahasia",
        "SOPFLOW_CALENDAR_WORKING_TIME": "true",
        "SOPFLOW_TIMEZONE": "Asia/Makassar",
    })
    assert settings.database_url == "postgresql+psycopg://u@db/sopflow"
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.password) == ("mail.tanjabtimkab.go.id", 587,
                                                                                 "rahasia")
    assert settings.calendar.working_time is True
    assert str(settings.calendar.timezone) == "Asia/Makassar"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("database: [unclosed", "is not valid YAML"),
        ("timezone: Asia/Jakarta\n", "lacks the setting"),
    ],
)
def test_broken_configuration_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(path, environ={})


def test_a_bad_calendar_value_names_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text((ROOT / "config.yaml").read_text().replace("[mon, tue, wed, thu, fri]", "[mon, fry]"))
    with pytest.raises(ConfigError, match="unknown working day 'fry'"):
        load_settings(path, environ={})


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read configuration"):
        load_settings(tmp_path / "nope.yaml", environ={})


@pytest.mark.parametrize("password", ["0777", "#rahasia", "[x", "yes", "1e3", "null", "a: b"])
def test_an_environment_value_is_read_as_the_settings_type_never_as_yaml(password: str) -> None:
    settings = load_settings(ROOT / "config.yaml", environ={"SOPFLOW_SMTP_PASSWORD": password,
                                                           "SOPFLOW_SMTP_USERNAME": password})
    assert settings.smtp.password == password and settings.smtp.username == password


def test_numbers_booleans_and_lists_from_the_environment() -> None:
    settings = load_settings(ROOT / "config.yaml", environ={
        "SOPFLOW_SMTP_PORT": " 0587 ", "SOPFLOW_SMTP_STARTTLS": "TRUE", "SOPFLOW_SMTP_TIMEOUT_SECONDS": "2.5",
        "SOPFLOW_CALENDAR_WORKING_DAYS": "mon, tue", "SOPFLOW_CALENDAR_WORKING_TIME": "0",
    })
    assert (settings.smtp.port, settings.smtp.starttls, settings.smtp.timeout_seconds) == (587, True, 2.5)
    assert settings.calendar.working_time is False


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SOPFLOW_SMTP_PORT", "dua lima", "SOPFLOW_SMTP_PORT must be a number, not 'dua lima'"),
    ("SOPFLOW_UPLOADS_MAX_BYTES", "10MB", "SOPFLOW_UPLOADS_MAX_BYTES must be a number"),
    ("SOPFLOW_SMTP_STARTTLS", "kadang", "SOPFLOW_SMTP_STARTTLS must be true or false"),
])
def test_a_bad_environment_value_stops_start_up_naming_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(ROOT / "config.yaml", environ={name: value})
