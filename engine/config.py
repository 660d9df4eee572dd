"""Settings from config.yaml, overridden by SOPFLOW_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import ConfigError
from engine.runtime.calendar import WorkingCalendar

ENV_PREFIX = "SOPFLOW_"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    sender: str
    timeout_seconds: float


@dataclass(frozen=True)
class WebsiteSettings:
    """The PPID website: the only hosts an outbound request may reach, and its limits."""

    hosts: tuple[str, ...]
    timeout_seconds: float
    max_body_bytes: int
    max_concurrent: int
    max_redirects: int


@dataclass(frozen=True)
class PasswordResetSettings:
    """Reset links: the address they start with (configured, never taken from a request's Host header), how
    long they work, and how many may be asked for in an hour per account and per requesting address."""

    base_url: str = "http://127.0.0.1:5000"
    valid_minutes: int = 60
    per_account_per_hour: int = 3
    per_address_per_hour: int = 10


@dataclass(frozen=True)
class OfficeIdentity:
    """The office on printed documents: the kop surat (name, unit, address, contact, logo) and who signs."""

    name: str = "Pemerintah Kabupaten Tanjung Jabung Timur"
    unit: str = "Pejabat Pengelola Informasi dan Dokumentasi (PPID)"
    address: str = ""
    contact: str = ""
    signatory_title: str = "PPID Utama"
    signatory_name: str = ""
    signatory_nip: str = ""
    logo: Path | None = None  # a PNG or JPEG file; none printed when unset


@dataclass(frozen=True)
class Schedule:
    day: int
    hour: int
    minute: int


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone: str
    calendar: WorkingCalendar
    smtp: SmtpSettings
    lane_roles: dict[str, str]
    supervisor_role: str
    office_roles: tuple[str, ...]
    schedules: dict[str, Schedule]
    upload_max_bytes: int
    upload_extensions: tuple[str, ...]
    upload_dir: Path
    scheduler_resync_seconds: int
    bpmn_dir: Path
    website: WebsiteSettings
    reminder_fraction: float = 0.8  # notices: a reminder when this share of a task's time standard has passed
    diagram_max_bytes: int = 2 * 1024 * 1024
    password_reset: PasswordResetSettings = PasswordResetSettings()
    office: OfficeIdentity = OfficeIdentity()
    plan_batch_size: int = 50  # a plan's items start this many per transaction (engine/runtime/plans.py)

    def role_for_lane(self, lane: str | None) -> str | None:
        return self.lane_roles.get(lane) if lane else None


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
# The type of each setting that is not text, by its environment name (without SOPFLOW_). Lists are comma-separated.
ENV_TYPES: dict[str, type] = {
    "smtp_port": int, "smtp_starttls": bool, "smtp_timeout_seconds": float,
    "calendar_working_time": bool, "calendar_national_holidays": bool, "calendar_working_days": list,
    "calendar_hours": list, "calendar_extra_holidays": list,
    "uploads_max_bytes": int, "uploads_allowed_extensions": list, "scheduler_resync_seconds": int,
    "password_reset_valid_minutes": int, "password_reset_per_account_per_hour": int,
    "password_reset_per_address_per_hour": int, "plans_batch_size": int,
}


def _env_value(name: str, text: str) -> object:
    """The variable's text read as its setting's type, never as YAML: a password stays the exact text given.
    A value that does not fit stops start-up, naming the variable."""
    kind = ENV_TYPES.get(name[len(ENV_PREFIX):].lower(), str)
    if kind is bool:
        if text.strip().lower() in _TRUE | _FALSE:
            return text.strip().lower() in _TRUE
        raise ConfigError("%(name)s must be true or false, not %(value)r", name=name, value=text)
    if kind in (int, float):
        try:
            return kind(text.strip())
        except ValueError:
            raise ConfigError("%(name)s must be a number, not %(value)r", name=name, value=text) from None
    if kind is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _apply_env(raw: dict[str, Any], environ: dict[str, str]) -> None:
    """SOPFLOW_SMTP_HOST sets raw['smtp']['host']; SOPFLOW_TIMEZONE sets raw['timezone']. Lists are
    comma-separated (SOPFLOW_CALENDAR_WORKING_DAYS=mon,tue)."""
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "SOPFLOW_CONFIG":
            continue
        key = name[len(ENV_PREFIX):].lower()
        section = next((s for s in raw if isinstance(raw[s], dict) and key.startswith(s + "_")), None)
        target, leaf = (raw[section], key[len(section) + 1:]) if section is not None else (raw, key)
        target[leaf] = _env_value(name, text)


def _resolve_database_url(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        path = (base / url[len(prefix):]).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    return url


def _website(raw: dict[str, Any]) -> WebsiteSettings:
    hosts = raw["hosts"]
    if isinstance(hosts, str):  # SOPFLOW_WEBSITE_HOSTS=ppid.example.go.id
        hosts = [hosts]
    return WebsiteSettings(
        hosts=tuple(str(host).strip().lower() for host in hosts),
        timeout_seconds=float(raw["timeout_seconds"]),
        max_body_bytes=int(raw["max_body_bytes"]),
        max_concurrent=int(raw["max_concurrent"]),
        max_redirects=int(raw["max_redirects"]),
    )


def _office(raw: dict[str, Any], base: Path) -> OfficeIdentity:
    default, signatory = OfficeIdentity(), raw.get("penandatangan") or {}
    logo = str(raw.get("logo") or "").strip()
    return OfficeIdentity(
        name=str(raw.get("nama", default.name)), unit=str(raw.get("unit", default.unit)),
        address=str(raw.get("alamat", "")), contact=str(raw.get("kontak", "")),
        signatory_title=str(signatory.get("jabatan", default.signatory_title)),
        signatory_name=str(signatory.get("nama", "")), signatory_nip=str(signatory.get("nip", "")),
        logo=(base / logo).resolve() if logo else None,
    )


def _password_reset(raw: dict[str, Any]) -> PasswordResetSettings:
    default = PasswordResetSettings()
    base_url = str(raw.get("base_url", default.base_url)).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"password_reset.base_url must start with http:// or https://, not {base_url!r}")
    return PasswordResetSettings(
        base_url=base_url,
        valid_minutes=int(raw.get("valid_minutes", default.valid_minutes)),
        per_account_per_hour=int(raw.get("per_account_per_hour", default.per_account_per_hour)),
        per_address_per_hour=int(raw.get("per_address_per_hour", default.per_address_per_hour)),
    )


def _percent(value: Any) -> float:
    percent = float(value)
    if not 0 < percent < 100:
        raise ValueError(f"notices.reminder_at_percent must be between 0 and 100, not {value}")
    return percent / 100


def _positive(name: str, value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be 1 or more, not {number}")
    return number


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the YAML file (SOPFLOW_CONFIG, else the repository's config.yaml) and apply the environment."""
    environ = dict(os.environ if environ is None else environ)
    config_path = Path(path or environ.get("SOPFLOW_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise ConfigError("Cannot read configuration %(path)s: %(reason)s", path=config_path,
                          reason=error.strerror) from error
    except yaml.YAMLError as error:
        raise ConfigError("Configuration %(path)s is not valid YAML: %(reason)s", path=config_path,
                          reason=error) from error
    _apply_env(raw, environ)
    base = config_path.resolve().parent
    try:
        cal = raw["calendar"]
        smtp = raw["smtp"]
        calendar = WorkingCalendar.from_config(
            timezone=str(raw["timezone"]),
            working_time=bool(cal["working_time"]),
            working_days=list(cal["working_days"]),
            hours=[str(h) for h in cal["hours"]],
            national_holidays=bool(cal["national_holidays"]),
            extra_holidays=[str(d) for d in cal.get("extra_holidays") or []],
        )
        return Settings(
            database_url=_resolve_database_url(str(raw["database"]["url"]), base),
            timezone=str(raw["timezone"]),
            calendar=calendar,
            smtp=SmtpSettings(
                host=str(smtp["host"]),
                port=int(smtp["port"]),
                username=str(smtp.get("username") or ""),
                password=str(smtp.get("password") or ""),
                starttls=bool(smtp.get("starttls")),
                sender=str(smtp["sender"]),
                timeout_seconds=float(smtp.get("timeout_seconds", 10)),
            ),
            lane_roles={str(k): str(v) for k, v in raw["lanes"].items()},
            supervisor_role=str(raw["supervisor_role"]),
            office_roles=tuple(str(role) for role in raw.get("office_roles") or ()),
            schedules={
                str(pid): Schedule(int(s["day"]), int(s["hour"]), int(s.get("minute", 0)))
                for pid, s in (raw.get("schedules") or {}).items()
            },
            upload_max_bytes=int(raw["uploads"]["max_bytes"]),
            upload_extensions=tuple(str(e).lower() for e in raw["uploads"]["allowed_extensions"]),
            upload_dir=(base / str(raw["uploads"].get("directory") or "instance/uploads")).resolve(),
            scheduler_resync_seconds=int(raw["scheduler"]["resync_seconds"]),
            bpmn_dir=(base / str(raw.get("bpmn_dir", "bpmn"))).resolve(),
            website=_website(raw["website"]),
            reminder_fraction=_percent((raw.get("notices") or {}).get("reminder_at_percent", 80)),
            diagram_max_bytes=int((raw.get("diagrams") or {}).get("max_bytes", 2 * 1024 * 1024)),
            password_reset=_password_reset(raw.get("password_reset") or {}),
            office=_office(raw.get("instansi") or {}, base),
            plan_batch_size=_positive("plans.batch_size", (raw.get("plans") or {}).get("batch_size", 50)),
        )
    except KeyError as error:
        raise ConfigError("Configuration %(path)s lacks the setting %(name)r", path=config_path,
                          name=error.args[0]) from error
    except (TypeError, ValueError) as error:
        raise ConfigError("Configuration %(path)s: %(reason)s", path=config_path, reason=error) from error
