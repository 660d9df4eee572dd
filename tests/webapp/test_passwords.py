"""People keep their own password: "Lupa kata sandi" answers the same for any name, sends a single-use,
expiring link through the outbox to the loopback SMTP server, and a new password ends the other sessions;
"Ubah kata sandi" needs the current password."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.people.records import PasswordReset
from engine.store import Event, OutboxMail
from tests.conftest import PASSWORD, Mailbox
from tests.webapp.conftest import csrf_token, login, post
from tests.webapp.pages import flash_messages, text_of

LINK = re.compile(r"http://127\.0\.0\.1:5000(/password/reset/[A-Za-z0-9_-]+)")
NEW = "kata-sandi-baru-9"


def _ask(client: FlaskClient, identifier: str, address: str = "10.1.1.1") -> tuple[int, str]:
    response = client.post("/password/forgot", data={"identifier": identifier, "csrf_token": csrf_token(client)},
                           environ_base={"REMOTE_ADDR": address})
    return response.status_code, text_of(response)


def _link(mailbox: Mailbox, count: int = 1) -> str:
    mail = mailbox.wait_for(count)[count - 1]
    found = LINK.search(mail.get_content())
    assert found, mail.get_content()
    return found.group(1)


def _events(ctx: EngineContext, kind: str) -> list[Event]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Event).where(Event.type == kind)))


def test_the_answer_is_the_same_for_an_unknown_name_and_only_a_known_one_gets_mail(
        client: FlaskClient, mailbox: Mailbox, engine_ctx: EngineContext) -> None:
    status_unknown, unknown = _ask(client, "tidak.ada@ppid.test")
    status_known, known = _ask(client, "pembantu.dinkes@PPID.test")
    assert status_unknown == status_known == 200
    assert unknown == known and "Tautan hanya dapat dipakai sekali, selama 1 jam" in known
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "pembantu.dinkes@ppid.test" and mail["Subject"] == "Atur ulang kata sandi sopflow"
    assert "pembantu.dinkes" in mail.get_content() and "dalam 1 jam" in mail.get_content()
    [requested] = _events(engine_ctx, "password_reset_requested")
    assert requested.payload == {"user": "pembantu.dinkes", "address": "10.1.1.1"}


def test_the_token_is_kept_only_as_a_hash_and_the_outbox_forgets_the_link(
        client: FlaskClient, mailbox: Mailbox, engine_ctx: EngineContext) -> None:
    _ask(client, "plid.utama")
    token = _link(mailbox).rsplit("/", 1)[1]
    with engine_ctx.db.session() as session:
        [reset] = [r for r in session.scalars(select(PasswordReset)) if r.token_hash]
        stored = " ".join(str(value) for value in vars(reset).values())
        events = " ".join(str(e.payload) for e in session.scalars(select(Event)))
    assert token not in stored and len(reset.token_hash or "") == 64
    assert token not in events
    for sender in [t for t in threading.enumerate() if t.name == "password-reset-mail"]:
        sender.join(timeout=10)  # the first delivery runs after the answer, and scrubs the link once sent
    with engine_ctx.db.session() as session:
        bodies = " ".join(m.body for m in session.scalars(select(OutboxMail)))
    assert token not in bodies and "tautan dihapus setelah terkirim" in bodies


def test_a_link_sets_a_new_password_once_and_ends_every_session(
        app: Flask, mailbox: Mailbox, engine_ctx: EngineContext) -> None:
    elsewhere, browser = app.test_client(), app.test_client()
    login(elsewhere, "pembantu.dinkes")
    _ask(browser, "pembantu.dinkes")
    path = _link(mailbox)
    form = browser.get(path)
    assert form.status_code == 200 and "Akun: pembantu.dinkes" in text_of(form)
    done = post(browser, path, {"password": NEW, "repeated": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert elsewhere.get("/tasks").headers["Location"].startswith("/login")  # the other session ended
    login(browser, "pembantu.dinkes", NEW)
    again = post(app.test_client(), path, {"password": "lagi-lagi-123", "repeated": "lagi-lagi-123"})
    assert again.status_code == 403
    assert "sudah pernah dipakai. Mintalah tautan baru." in text_of(again)
    assert [e.payload for e in _events(engine_ctx, "password_reset")] == [
        {"user": "pembantu.dinkes", "sessions_ended": True}]
    login(app.test_client(), "pembantu.dinkes", NEW)  # the refused second use changed nothing


def test_an_expired_link_is_refused_and_the_password_stays(
        app: Flask, client: FlaskClient, mailbox: Mailbox, clock: ManualClock) -> None:
    _ask(client, "auditor")
    path = _link(mailbox)
    clock.advance(timedelta(minutes=61))
    shown = client.get(path)
    assert shown.status_code == 403 and "sudah kedaluwarsa" in text_of(shown)
    refused = post(client, path, {"password": NEW, "repeated": NEW})
    assert refused.status_code == 403
    login(app.test_client(), "auditor", PASSWORD)


def test_a_made_up_link_and_a_bad_new_password_are_refused_with_reasons(
        client: FlaskClient, mailbox: Mailbox) -> None:
    made_up = client.get("/password/reset/bukan-token")
    assert made_up.status_code == 403 and "tidak berlaku" in text_of(made_up)
    _ask(client, "admin")
    path = _link(mailbox)
    differ = post(client, path, {"password": NEW, "repeated": NEW + "x"})
    assert differ.status_code == 422 and flash_messages(differ) == ["Kedua kata sandi baru tidak sama."]
    short = post(client, path, {"password": "pendek", "repeated": "pendek"})
    assert short.status_code == 422 and flash_messages(short) == ["kata sandi paling sedikit 8 karakter"]
    assert post(client, path, {"password": NEW, "repeated": NEW}).status_code == 302  # the link still works


def test_requests_are_limited_per_account_and_per_address(client: FlaskClient, mailbox: Mailbox,
                                                          clock: ManualClock) -> None:
    for number in range(4):
        assert _ask(client, "plid.utama", address=f"10.2.0.{number}")[0] == 200
    assert len(mailbox.wait_for(3)) == 3
    assert len(mailbox.wait_for(4, timeout=0.5)) == 3  # the fourth of the hour sends nothing, says the same
    for number in range(10):
        assert _ask(client, f"orang{number}", address="10.3.0.1")[0] == 200
    status, text = _ask(client, "orang-lain", address="10.3.0.1")
    assert status == 429 and "Terlalu banyak permintaan dari alamat ini" in text
    clock.advance(timedelta(minutes=61))
    assert _ask(client, "plid.utama", address="10.3.0.1")[0] == 200
    assert len(mailbox.wait_for(4)) == 4


def test_changing_ones_password_needs_the_current_one_and_ends_other_sessions(
        app: Flask, engine_ctx: EngineContext) -> None:
    here, phone = app.test_client(), app.test_client()
    login(here, "ppid.utama")
    login(phone, "ppid.utama")
    assert 'href="/password/change"' in here.get("/tasks").get_data(as_text=True)
    wrong = post(here, "/password/change", {"current": "salah-sekali", "password": NEW, "repeated": NEW})
    assert wrong.status_code == 422 and flash_messages(wrong) == ["Kata sandi saat ini salah."]
    changed = post(here, "/password/change", {"current": PASSWORD, "password": NEW, "repeated": NEW})
    assert changed.status_code == 302
    assert here.get("/tasks").status_code == 200  # this session carries on
    assert phone.get("/tasks").headers["Location"].startswith("/login")  # the other one ended
    login(app.test_client(), "ppid.utama", NEW)
    assert [e.payload for e in _events(engine_ctx, "password_changed")] == [
        {"user": "ppid.utama", "sessions_ended": True}]


def test_the_change_page_needs_a_login(client: FlaskClient) -> None:
    answer = client.get("/password/change")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
