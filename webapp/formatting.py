"""Template filters: values as a person reads them in the active language. Local times with the zone
("2 Desember 2026 10.30 WIB"), months ("November 2026"), durations ("1 jam 30 menit", never "1 jam 0 menit"
nor "PT15M"), numbers and file sizes ("8,0 KB")."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _

from engine.diagrams.durations import InvalidDuration, parse_iso
from engine.diagrams.forms import FieldError, humanise
from engine.diagrams.versions import process_names
from engine.people.administration import SYSTEM_ACTOR
from webapp.context import engine

DATE_TIME = "d MMMM yyyy HH.mm z"


def localtime(moment: datetime | None, style: str = DATE_TIME) -> str:
    return format_datetime(moment, style) if moment is not None else "–"


def long_date(iso_date: str | None) -> str:
    """"2026-11-30" -> "30 November 2026"; text that is not an ISO date is shown as it is."""
    if not iso_date:
        return "–"
    try:
        return format_date(date.fromisoformat(iso_date), "d MMMM yyyy")
    except ValueError:
        return iso_date


def data_text(value: object) -> str:
    """A value an automatic step recorded, as a person reads it: a moment in local time ("1 November 2026 00.00
    WIB", not "2026-10-31T17:00:00+00:00"), a date in words, yes or no, a number with its separators."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return localtime(moment)
        return long_date(value) if len(value) == 10 else value
    return "–" if value is None else str(value)


def field_error_text(error: FieldError | str) -> str:
    """A form field's problem in the active language, its date (a plan row's target date) in words."""
    if isinstance(error, str):
        return error
    params = {name: long_date(value) if name == "date" else value for name, value in error.params.items()}
    return _(error.template, **params)


def month_label(key: str | None) -> str:
    """"2026-11" -> "November 2026"; text that is not a month is shown as it is."""
    if not key:
        return "–"
    try:
        year, month = (int(part) for part in key.split("-"))
        return format_date(date(year, month, 1), "MMMM yyyy")
    except ValueError:
        return key


def duration(seconds: float | None) -> str:
    """Whole minutes in words, leaving out the parts that are zero: "2 hari 3 jam", "1 jam", "15 menit"."""
    if seconds is None:
        return "–"
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [_("%(days)d d", days=days) if days else "", _("%(hours)d h", hours=hours) if hours else "",
             _("%(minutes)d min", minutes=minutes) if minutes or not (days or hours) else ""]
    return " ".join(part for part in parts if part)


def iso_duration_text(expression: str | None) -> str:
    """"PT90M" -> "1 jam 30 menit"; text that is not a time standard is shown as it is."""
    if not expression:
        return "–"
    try:
        return duration(parse_iso(expression).minutes * 60)
    except InvalidDuration:
        return expression


def number(value: float | int | None, digits: int = 0) -> str:
    """1234.5 -> "1.234,5" in Indonesian."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern)


def file_size(size: int | None) -> str:
    """Bytes as "812 byte", "8,0 KB", "10 MB"."""
    if size is None:
        return "–"
    if size < 1024:
        return _("%(size)s bytes", size=number(size))
    if size < 1024 * 1024:
        return _("%(size)s KB", size=number(size / 1024, 1))
    megabytes = size / (1024 * 1024)
    return _("%(size)s MB", size=number(megabytes, 0 if megabytes == int(megabytes) else 1))


def process_name(process_id: str) -> str:
    """A deployed process's name (its newest version's) instead of its id; read once per request."""
    if "process_names" not in g:
        g.process_names = process_names(engine())
    return str(g.process_names.get(process_id, process_id))


def role_label(role: str) -> str:
    return _(engine().policy.role_label(role))


def event_labels() -> dict[str, str]:
    """What each event type is called in timelines and on the replay page; translated once per request."""
    if "event_labels" not in g:
        g.event_labels = _event_labels()
    labels: dict[str, str] = g.event_labels
    return labels


def _event_labels() -> dict[str, str]:
    return {
        "instance_started": _("Started"),
        "plan_items_started": _("Plan items started"),
        "task_ready": _("Task ready"),
        "task_claimed": _("Task claimed"),
        "task_released": _("Task released"),
        "task_completed": _("Task completed"),
        "task_withdrawn": _("Task withdrawn"),
        "gateway_decision": _("Decision"),
        "timer_fired": _("Time standard passed"),
        "time_standard_breached": _("Breach recorded"),
        "service_completed": _("Automatic step"),
        "instance_completed": _("Finished"),
        "instance_cancelled": _("Cancelled"),
        "instance_migrated": _("Moved to a newer version"),
        "attachment_added": _("File attached"),
        "attachment_removed": _("File removed"),
        "comment_added": _("Comment"),
        "user_created": _("User created"),
        "user_updated": _("User changed"),
        "sessions_ended": _("Logged out everywhere"),
        "office_added": _("Office added"),
        "office_activated": _("Office activated"),
        "office_deactivated": _("Office deactivated"),
        "office_logo_changed": _("Office logo changed"),
        "office_logo_removed": _("Office logo removed"),
        "api_token_created": _("API token created"),
        "api_tokens_revoked": _("API token revoked"),
        "incident_opened": _("Incident opened"),
        "incident_failed_again": _("Incident: failed again"),
        "incident_resolved": _("Incident resolved"),
        "task_assigned": _("Task assigned"),
        "claim_taken_back": _("Claim taken back"),
        "reminder_sent": _("Reminder sent"),
        "notification_failed": _("Mail not delivered"),
        "notice_preference_changed": _("Notification setting changed"),
        "mail_retried": _("Mail retried"),
        "now": _("Now"),
    }


def event_label(event_type: str) -> str:
    return event_labels().get(event_type, event_type)


def actor_label(username: str | None) -> str:
    """Who acted: a username, or the installation's own actor by its name in the active language."""
    return _("system") if username == SYSTEM_ACTOR else (username or "–")


def init_formatting(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(iso_duration_text, "iso_duration")
    app.add_template_filter(event_label, "event_label")
    app.add_template_filter(actor_label, "actor_label")
    app.add_template_filter(month_label, "month_label")
    app.add_template_filter(data_text, "data_text")
    app.add_template_filter(field_error_text, "field_error_text")
    app.add_template_filter(number, "number")
    app.add_template_filter(file_size, "file_size")
    app.add_template_global(process_name, "process_name")
    app.add_template_global(role_label, "role_label")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(humanise, "humanise")
