"""Template filters: local times in Indonesian formats, durations, ISO 8601 time standards."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from engine.spiff import iso_duration


def localtime(moment: datetime | None, style: str = "d MMM yyyy HH.mm") -> str:
    return format_datetime(moment, style) if moment is not None else "–"


def long_date(iso_date: str | None) -> str:
    """"2026-11-30" -> "30 November 2026"; text that is not an ISO date is shown as it is."""
    if not iso_date:
        return "–"
    try:
        return format_date(date.fromisoformat(iso_date), "d MMMM yyyy")
    except ValueError:
        return iso_date


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours and not minutes:
        return _("%(hours)d h", hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    return _("%(minutes)d min", minutes=minutes)


def iso_duration_text(expression: str | None) -> str:
    """"PT90M" -> "90 menit"; text that is not a duration is shown as it is."""
    if not expression:
        return "–"
    try:
        seconds = iso_duration(expression, datetime(2000, 1, 1)).total_seconds()
    except ValueError:
        return expression
    return duration(seconds)


def event_labels() -> dict[str, str]:
    """What each event type is called in timelines and on the replay page."""
    return {
        "instance_started": _("Started"),
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


def init_formatting(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(iso_duration_text, "iso_duration")
    app.add_template_filter(event_label, "event_label")
