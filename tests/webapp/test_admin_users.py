"""The admin's user pages: a new user with roles and an office, edits that take effect at once, bad input
refused with a message and nothing stored."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from engine.context import EngineContext
from engine.store import Event
from tests.conftest import PASSWORD
from tests.webapp.conftest import csrf_token, login, post
from tests.webapp.pages import People, error_message, flash_messages, page, plan_item, snapshot, start_items

NEW_USER = {"username": "pembantu.dishub", "display_name": "PPID Pembantu Dishub", "email": "dishub@ppid.test",
            "roles": "ppid_pembantu", "opd": "Dinas Perhubungan", "password": "kata-sandi-dishub"}


def test_the_admin_creates_a_pembantu_who_logs_in_and_sees_only_their_office(
    app: Flask, people: People, engine_ctx: EngineContext
) -> None:
    start_items(engine_ctx, plan_item("Jadwal angkutan", "Dinas Perhubungan"), plan_item("Profil", "Dinas Kesehatan"))
    admin = people("admin")
    created = post(admin, "/admin/users", NEW_USER)
    assert created.status_code == 302
    listing = admin.get(created.headers["Location"])
    assert "Pengguna pembantu.dishub dibuat." in flash_messages(listing)
    assert "pembantu.dishub" in page(listing).xpath('string(//table[@id="users"])')
    with engine_ctx.db.session() as session:
        event = session.scalars(select(Event).where(Event.type == "user_created")).all()[-1]
    assert event.actor == "admin" and event.payload["user"] == "pembantu.dishub"

    newcomer = app.test_client()
    login(newcomer, "pembantu.dishub", NEW_USER["password"])
    inbox = newcomer.get("/tasks").get_data(as_text=True)
    assert "Jadwal angkutan" in inbox and "Profil" not in inbox


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"roles": "kepala_dinas"}, "kepala_dinas"),
        ({"password": "pendek"}, "8"),
        ({"username": "auditor"}, "auditor"),
    ],
    ids=["unknown-role", "short-password", "taken-username"],
)
def test_bad_input_for_a_new_user_is_refused_with_a_message_and_nothing_is_stored(
    people: People, engine_ctx: EngineContext, change: dict[str, str], message: str
) -> None:
    admin = people("admin")
    before = snapshot(engine_ctx)
    refused = post(admin, "/admin/users", {**NEW_USER, **change})
    assert refused.status_code == 400 and message in error_message(refused)
    assert snapshot(engine_ctx) == before


def test_roles_changed_by_the_admin_apply_on_the_users_next_request(
    app: Flask, people: People, engine_ctx: EngineContext
) -> None:
    auditor = app.test_client()
    login(auditor, "auditor")
    assert auditor.get("/tasks").status_code == 403
    saved = post(people("admin"), "/admin/users/auditor", {"display_name": "Auditor", "email": "auditor@ppid.test",
                                                          "roles": ["auditor", "plid_utama"], "active": "on"})
    assert saved.status_code == 302
    assert auditor.get("/tasks").status_code == 200
    with engine_ctx.db.session() as session:
        event = session.scalars(select(Event).where(Event.type == "user_updated")).one()
    assert sorted(event.payload["roles"]) == ["auditor", "plid_utama"] and event.actor == "admin"


def test_a_new_password_set_by_the_admin_replaces_the_old_one(app: Flask, people: People) -> None:
    saved = post(people("admin"), "/admin/users/plid.utama", {"display_name": "PLID", "email": "plid@ppid.test",
                                                             "roles": "plid_utama", "active": "on",
                                                             "password": "sandi-baru-plid"})
    assert saved.status_code == 302
    old = app.test_client()
    assert old.post("/login", data={"username": "plid.utama", "password": PASSWORD,
                                    "csrf_token": csrf_token(old)}).status_code == 401
    login(app.test_client(), "plid.utama", "sandi-baru-plid")


def test_the_admin_cannot_deactivate_themselves(people: People, engine_ctx: EngineContext) -> None:
    before = snapshot(engine_ctx)
    refused = post(people("admin"), "/admin/users/admin", {"display_name": "Admin", "email": "admin@ppid.test",
                                                          "roles": "admin"})
    assert refused.status_code == 400 and error_message(refused)
    assert snapshot(engine_ctx) == before
