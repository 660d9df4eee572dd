"""Helpers for page tests: read a page as a user sees it, post a step form as a browser would, and take a
snapshot of the stored state to prove that a refused request changed nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.context import EngineContext
from engine.people.records import User
from engine.runtime import task_list
from engine.store import Attachment, Comment, Event, Instance, Notification, WorkItem
from tests.engine import flow
from tests.webapp.conftest import login, post
from tests.website import ensure_website


def page(response: Any) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def text_of(response: Any) -> str:
    """The visible text of a page, whitespace collapsed."""
    return " ".join(page(response).text_content().split())


def field_error(response: Any, name: str) -> str:
    """The error shown beside a step form field ('' when none)."""
    spans = page(response).xpath(f'//div[@data-field="{name}"]//span[contains(@class, "field-error")]')
    return " ".join(span.text_content().strip() for span in spans)


def field_value(response: Any, name: str) -> str | None:
    """What an input, textarea, ticked radio or selected option of the form currently holds."""
    doc = page(response)
    for element in doc.xpath(f'//*[@name="{name}"]'):
        if element.tag == "textarea":
            return str(element.text or "")
        if element.tag == "select":
            selected = element.xpath('.//option[@selected]')
            return str(selected[0].get("value")) if selected else ""
        if element.get("type") in ("radio", "checkbox"):
            if element.get("checked") is not None:
                return str(element.get("value", "on"))
            continue
        return str(element.get("value", ""))
    return None


def flash_messages(response: Any) -> list[str]:
    return [" ".join(e.text_content().split()) for e in page(response).xpath('//div[contains(@class, "flash")]')]


def error_message(response: Any) -> str:
    """The message of the error page."""
    found = page(response).xpath('//p[contains(@class, "error-message")]')
    return " ".join(found[0].text_content().split()) if found else ""


def step_form(data: dict[str, Any]) -> dict[str, str]:
    """Step data as the task form posts it: a ticked box sends "on", an unticked one nothing, plan items
    one input per cell (`rencana_unggahan-0-judul`)."""
    form: dict[str, str] = {}
    for name, value in data.items():
        if value is True:
            form[name] = "on"
        elif value is False or value is None:
            continue
        elif isinstance(value, list):
            for index, row in enumerate(value):
                for key, cell in row.items():
                    form[f"{name}-{index}-{key}"] = str(cell)
        else:
            form[name] = str(value)
    return form


def snapshot(ctx: EngineContext) -> dict[str, Any]:
    """Counts of everything a request could add, and the state of every task and instance."""
    with ctx.db.session() as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Event, Instance, WorkItem, Attachment, Comment, Notification, User)
        }
        tasks = sorted(session.execute(select(WorkItem.id, WorkItem.status, WorkItem.claimed_by)).tuples())
        runs = sorted(session.execute(select(Instance.id, Instance.status)).tuples())
        people = sorted(session.execute(select(User.username, User.display_name, User.active)).tuples())
        notices = session.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None)))
    return {**counts, "tasks": tasks, "instances": runs, "users": people, "unread": notices}


def event_count(ctx: EngineContext, type: str | None = None) -> int:
    with ctx.db.session() as session:
        statement = select(func.count()).select_from(Event)
        if type is not None:
            statement = statement.where(Event.type == type)
        return int(session.scalar(statement) or 0)


def open_task(ctx: EngineContext, instance_id: int, spec_id: str | None = None) -> WorkItem:
    """The one open task of an instance (of the given step when named)."""
    found = [t for t in task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance_id))
             if spec_id is None or t.spec_id == spec_id]
    assert len(found) == 1, f"expected one open task in instance {instance_id}, found {[t.spec_id for t in found]}"
    return found[0]


def item_instances(ctx: EngineContext, plan_id: int) -> list[Instance]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Instance).where(Instance.parent_id == plan_id).order_by(Instance.id)))


def plan_item(title: str, opd: str, kelas_dip: str = "berkala") -> dict[str, str]:
    return {"judul": title, "opd": opd, "kelas_dip": kelas_dip, "tanggal_target": "2026-11-30",
            "ringkasan": f"Ringkasan {title}."}


def start_items(ctx: EngineContext, *items: dict[str, str]) -> list[Instance]:
    """A plan completed at step 1 by PPID Utama; its item instances, in plan order (each waits at step 2)."""
    plan = flow.start_with_plan(ctx, list(items))
    return item_instances(ctx, plan.id)


STEPS_AFTER_2 = (
    ("Task_2_Siapkan_Data", flow.STEP_2),
    ("Task_3_Verifikasi", flow.SESUAI),
    ("Task_4_Unggah", flow.STEP_4),
    ("Task_5_Persetujuan", flow.DISETUJUI),
    ("Task_6_Pastikan_Tayang", flow.STEP_6),
)


def advance_item(ctx: EngineContext, instance_id: int, to_step: int) -> WorkItem:
    """Complete an item's steps from 2 up to (not including) `to_step` with valid data; its open task."""
    for spec_id, data in STEPS_AFTER_2[: to_step - 2]:
        flow.complete(ctx, open_task(ctx, instance_id, spec_id), data)
    return open_task(ctx, instance_id)


@cache
def pdf_bytes() -> bytes:
    """A small real PDF, rendered by WeasyPrint as the app renders its reports."""
    from webapp.pdf import render_pdf

    return render_pdf("<h1>Laporan keuangan semester I</h1><p>Realisasi anggaran Dinas Kesehatan.</p>")


def attach_a_pdf(client: FlaskClient, task_id: str, filename: str = "salah.pdf") -> str:
    """Upload a PDF to a step as its lane member does; the new attachment's id as the step page lists it."""
    post(client, f"/tasks/{task_id}/attachments", {"file": (io.BytesIO(pdf_bytes()), filename)},
         content_type="multipart/form-data")
    ids: list[str] = page(client.get(f"/tasks/{task_id}")).xpath('//li[@data-attachment]/@data-attachment')
    return ids[-1]


@contextmanager
def website() -> Iterator[str]:
    """The PPID website the test settings configure (tests.website); yields its base address."""
    yield ensure_website()


class People:
    """One logged-in test client per demo user, made on first use (a login costs a password hash)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._clients: dict[str, FlaskClient] = {}

    def __call__(self, username: str) -> FlaskClient:
        if username not in self._clients:
            client = self.app.test_client()
            login(client, username)
            self._clients[username] = client
        return self._clients[username]


def submit(client: FlaskClient, task_id: str, data: dict[str, Any]) -> Any:
    """Post a step form as the browser does."""
    return post(client, f"/tasks/{task_id}/complete", step_form(data))
