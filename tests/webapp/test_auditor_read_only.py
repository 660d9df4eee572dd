"""The Auditor role reads everything and changes nothing: every registered route that accepts a method other
than GET or HEAD refuses an auditor (403, or 405), on pages with a valid CSRF token and in the API with the
auditor's own bearer token; afterwards not one event was written."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from engine.context import EngineContext
from engine.people import tokens
from engine.runtime import task_list
from engine.store import Event, Notification
from tests.engine.flow import start_with_plan
from tests.webapp.conftest import csrf_token, login

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Routes that change only the caller's own browser session, never a record: anyone logged in may use them.
SESSION_ONLY = {"auth.login": "logging in", "auth.logout": "logging out", "set_language": "choosing a language",
                "passwords.forgot": "asking for a reset link", "passwords.reset": "setting one's password from a link",
                "passwords.change": "changing one's own password"}


def _values(ctx: EngineContext, plan_id: int) -> dict[str, object]:
    """Real identifiers, so that a route cannot answer 404 before it checks the role."""
    [task] = task_list.list_tasks(ctx, task_list.TaskFilter(plan_id=plan_id))[:1]
    return {"instance_id": plan_id, "task_id": task.id, "username": "ppid.utama", "process_id": "ppid_publikasi"}


def _count(ctx: EngineContext, model: type) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_no_changing_route_accepts_an_auditor(app: Flask, client: FlaskClient, engine_ctx: EngineContext) -> None:
    plan = start_with_plan(engine_ctx)
    values = _values(engine_ctx, plan.id)
    bearer = tokens.create_token(engine_ctx, "auditor", "read-only test")
    events_before, notifications_before = _count(engine_ctx, Event), _count(engine_ctx, Notification)
    login(client, "auditor")
    token = csrf_token(client, "/audit/")
    checked: list[str] = []
    for rule in app.url_map.iter_rules():
        changing = sorted((rule.methods or set()) - READ_METHODS)
        if not changing or rule.endpoint in SESSION_ONLY:
            continue
        arguments = {name: values.get(name, plan.id if isinstance(rule._converters.get(name), IntegerConverter)
                                 else "x") for name in rule.arguments}
        url = rule.build(arguments, append_unknown=False)[1]
        for method in changing:
            if url.startswith("/api/"):
                response = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {bearer}"})
            else:
                response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code in (403, 405), (
                f"{method} {url} ({rule.endpoint}) answered {response.status_code} to an auditor")
            checked.append(f"{method} {rule.endpoint}")
    assert len(checked) >= 15, checked
    assert {"POST tasks.complete", "POST tasks.cancel", "POST admin.create"} <= set(checked)
    assert (_count(engine_ctx, Event), _count(engine_ctx, Notification)) == (events_before, notifications_before)


def test_the_auditor_may_read_every_audit_page(client: FlaskClient, engine_ctx: EngineContext) -> None:
    plan = start_with_plan(engine_ctx)
    login(client, "auditor")
    for path in ("/audit/", "/audit/verify", f"/audit/instances/{plan.id}/replay",
                 f"/audit/instances/{plan.id}/replay/check", f"/audit/instances/{plan.id}/record",
                 "/audit/report", "/audit/evaluation", f"/instances/{plan.id}"):
        assert client.get(path).status_code == 200, path
