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
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_settings(tmp_path / "nope.yaml", environ={})
