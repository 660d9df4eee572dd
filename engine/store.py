"""SQLAlchemy models: the tables. The connection and its transactions are engine/database.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.database import Base, UTCDateTime
from engine.people import records  # noqa: F401  (the people's tables belong to the same metadata)


class Definition(Base):
    """A deployed version of one process diagram."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # why this version was deployed (migration 0003)


class Instance(Base):
    """A running or finished process instance: serialized workflow plus the columns lists query."""

    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    opd: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    current_task: Mapped[str | None] = mapped_column(String(500))
    current_lane: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    started_by: Mapped[str] = mapped_column(String(80))
    last_actor: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(Text)
    last_event_hash: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": revision}


OPEN_STATUSES = ("ready", "claimed")  # a work item someone may still act on


class WorkItem(Base):
    """A user task as the inbox sees it; its id is the SpiffWorkflow task id."""

    __tablename__ = "work_items"
    __table_args__ = (
        Index("ix_work_items_status_lane", "status", "lane"),
        Index("ix_work_items_status_opd", "status", "opd"),
        Index("ix_work_items_status_due", "status", "due_at"),
        # The inbox: open rows of a role in its order, with what its counts read (migration 0012).
        Index("ix_work_items_open_role_due", "role", "due_at", "ready_at", "instance_id", "id", "claimed_by", "opd",
              "lane", sqlite_where=text("status IN ('ready', 'claimed')"),
              postgresql_where=text("status IN ('ready', 'claimed')")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    spec_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    step: Mapped[str | None] = mapped_column(String(10))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(80))
    opd: Mapped[str | None] = mapped_column(String(200))
    item_label: Mapped[str | None] = mapped_column(String(300))
    dip_class: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    time_standard: Mapped[str | None] = mapped_column(String(20))
    ready_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by: Mapped[str | None] = mapped_column(String(80))
    revision: Mapped[int] = mapped_column(Integer)
    # The data the task carries (JSON) while it is open, so that its page needs no workflow (migration 0015);
    # read by that page only, so lists and changes never load it.
    data: Mapped[str | None] = mapped_column(Text, deferred=True)

    __mapper_args__ = {"version_id_col": revision}


class Timer(Base):
    """A due time the scheduler must honour: a waiting timer event, or the next start of a timed process."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "event" or "start"
    process_id: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), index=True)
    spiff_task_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # pending, fired, cancelled
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_by: Mapped[str | None] = mapped_column(String(200))


class Event(Base):
    """Append-only history. `hash` chains each event to the previous one of the same stream."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_instance_id_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    task_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The global chain over all events in id order (see engine.audit.events and EventChainHead).
    global_prev_hash: Mapped[str] = mapped_column(String(64))
    global_hash: Mapped[str] = mapped_column(String(64))


class Notification(Base):
    """An in-app message for one user."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A file attached to an instance (and the task it was given with), stored outside the web root under
    a random name; `sha256` is also recorded in the event log."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Removed while its step was open: the file and row stay for the audit record.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(80))
    removal_reason: Mapped[str | None] = mapped_column(Text)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Modeler


class Draft(Base):
    """A process owner's unfinished diagram of one process; one per process, saved over, never deployed as is."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), unique=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int | None] = mapped_column(Integer)
    saved_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Audit


class EventChainHead(Base):
    """The one row holding the newest event of the global chain: writers lock it to append, and `verify`
    compares it with the newest row, so deleting the latest events is detected too."""

    __tablename__ = "event_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    last_event_id: Mapped[int | None] = mapped_column(Integer)


# Incidents


class Incident(Base):
    """An error in a step the engine runs by itself (a timer, a service task): the instance waits at that
    step, or the timer stays unfired, until someone retries it. At most one open incident per task or timer."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_opened", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    element_name: Mapped[str] = mapped_column(String(300))
    task_id: Mapped[str | None] = mapped_column(String(36))  # the failed SpiffWorkflow task, left in ERROR
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timers.id"))  # a timer whose firing failed
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open, resolved
    attempts: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the latest failure
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))


# Notices, the mail outbox, supervision (migration 0006)


class OutboxMail(Base):
    """A message waiting for, or past, delivery: sent after the commit that wrote it, retried with backoff."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_sent_next", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PeriodStart(Base):
    """The one start of a periodic process in a period (a month), by its timer or by hand."""

    __tablename__ = "period_starts"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    started_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Plans started in batches (engine/runtime/plans.py) ---


class PlanRun(Base):
    """A plan's items still to start: `started` of `total` are running; the rest start a batch per
    transaction, so a big plan never holds the database for long."""

    __tablename__ = "plan_runs"

    plan_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    actor: Mapped[str] = mapped_column(String(80))
    shared: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    started: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class PlanItem(Base):
    """One planned item, in the plan's order, and the instance started for it."""

    __tablename__ = "plan_items"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan_runs.plan_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[dict[str, Any]] = mapped_column(JSON)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
