"""Recording incidents: a failure of a step the engine runs by itself is stored with the element, the message
and the instance, and written to the instance's history in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from simpleeval import InvalidExpression, NameNotDefined, NumberTooHigh  # type: ignore[import-untyped]
from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.audit.events import _PENDING as _PENDING_EVENTS
from engine.audit.events import append_event
from engine.store import Incident, Instance

log = logging.getLogger(__name__)


def failure_reason(error: BaseException) -> str:
    """What went wrong, in Indonesian, from the innermost cause (SpiffWorkflow wraps the real error)."""
    inner: BaseException = error
    while isinstance(inner, WorkflowException) and (inner.__cause__ or inner.__context__) is not None:
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    expression = ""
    if isinstance(error, WorkflowException) and "'" in str(error):
        expression = f" pada ekspresi {str(error).split(chr(39), 1)[1].rsplit(chr(39), 1)[0]!r}"
    if isinstance(inner, NameNotDefined):
        return f"nama {inner.name!r} tidak ada dalam data{expression}"
    if isinstance(inner, ZeroDivisionError):
        return f"pembagian dengan nol{expression}"
    if isinstance(inner, NumberTooHigh):
        return f"bilangan melampaui batas{expression}"
    if isinstance(inner, KeyError):
        return f"kunci {inner.args[0]!r} tidak ada dalam data{expression}"
    log.warning("step failed: %s: %s", type(inner).__name__, inner)  # the library's own (English) text
    if isinstance(inner, InvalidExpression) or (expression and isinstance(inner, TypeError | ValueError)):
        return f"ekspresi tidak dapat dihitung{expression}"
    if isinstance(inner, OSError):
        return "server yang dihubungi langkah ini tidak menjawab atau menolak sambungan"
    return f"kesalahan tak terduga ({type(inner).__name__}); rinciannya ada di log server"


def database_error(error: BaseException) -> SQLAlchemyError | None:
    """The database error behind a failure, if any: a lost race or a broken connection is no incident of the
    step, and the whole transaction must fail with it."""
    found: BaseException | None = error
    while found is not None and not isinstance(found, SQLAlchemyError):
        found = found.__cause__ or found.__context__
    return found


def open_incident_of(session: Session, *, task_id: str | None = None, timer_id: int | None = None) -> Incident | None:
    column = Incident.task_id == task_id if task_id is not None else Incident.timer_id == timer_id
    return session.scalars(select(Incident).where(column, Incident.status == "open")).first()


def record_failure(
    session: Session,
    *,
    process_id: str,
    instance: Instance | None,
    element_id: str,
    element_name: str,
    message: str,
    actor: str,
    now: datetime,
    task_id: str | None = None,
    timer_id: int | None = None,
) -> Incident:
    """Open an incident for the failed task or timer, or count one more failure of its open incident."""
    incident = open_incident_of(session, task_id=task_id, timer_id=timer_id)
    if incident is not None:
        incident.attempts += 1
        incident.message, incident.failed_at = message, now
        kind = "incident_failed_again"
    else:
        incident = Incident(
            instance_id=instance.id if instance is not None else None, process_id=process_id, element_id=element_id,
            element_name=element_name, task_id=task_id, timer_id=timer_id, message=message, status="open",
            attempts=1, opened_at=now, failed_at=now,
        )
        session.add(incident)
        session.flush()
        kind = "incident_opened"
    append_event(session, process_id=process_id, type=kind, actor=actor, at=now, instance=instance, task_id=task_id,
                 payload={"incident": incident.id, "element": element_id, "element_name": element_name,
                          "message": message, "timer": timer_id, "attempts": incident.attempts})
    return incident


def resolve(session: Session, incident: Incident, instance: Instance | None, actor: str, now: datetime,
            cancelled: bool = False) -> None:
    """Close the incident: its step ran again, or (`cancelled`) its instance was cancelled."""
    incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, actor
    append_event(session, process_id=incident.process_id, type="incident_resolved", actor=actor, at=now,
                 instance=instance, task_id=incident.task_id,
                 payload={"incident": incident.id, "element": incident.element_id,
                          "element_name": incident.element_name, "attempts": incident.attempts,
                          "instance_cancelled": cancelled})


def close_with_instance(session: Session, instance: Instance, actor: str, now: datetime) -> None:
    """A cancelled instance leaves no incident open: there is nothing left to retry."""
    for incident in session.scalars(select(Incident).where(Incident.instance_id == instance.id,
                                                            Incident.status == "open")):
        resolve(session, incident, instance, actor, now, cancelled=True)


@contextmanager
def undone_on_failure(session: Session, instance: Instance, after_commit: list[Callable[[], None]]) -> Iterator[None]:
    """Run a handler inside a savepoint: if it raises, what it wrote (rows, events, side effects queued for
    after the commit) is undone, and the rest of the transaction goes on to record the incident."""
    session.flush()
    driver_connection = session.connection().connection.dbapi_connection
    if session.get_bind().dialect.name == "sqlite" and not getattr(driver_connection, "in_transaction", True):
        # pysqlite begins its transaction lazily, at the first write; a SAVEPOINT before it would commit alone.
        session.execute(text("UPDATE incidents SET id = id WHERE 1 = 0"))
    pending: list[Any] = session.info.setdefault(_PENDING_EVENTS, [])
    marks = (len(pending), instance.last_event_hash, len(after_commit))
    savepoint = session.begin_nested()
    try:
        yield
    except BaseException:
        savepoint.rollback()
        del pending[marks[0]:]
        set_committed_value(instance, "last_event_hash", marks[1])  # written by the change's save
        del after_commit[marks[2]:]
        raise
    savepoint.commit()
