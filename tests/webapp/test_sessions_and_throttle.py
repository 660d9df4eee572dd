"""Sessions that really end (a copied cookie included), login throttling kept in the database per account and
per (account, address), and a secret-key file that is owner-only from its creation."""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import ManualClock
from engine.context import EngineContext
from tests.conftest import PASSWORD
from tests.webapp.conftest import csrf_token, login, post
from webapp import create_app
from webapp.app import _secret_key

OFFICE = {"REMOTE_ADDR": "10.20.30.40"}  # one office's NAT address


def _attempt(client: FlaskClient, username: str, password: str, address: str = OFFICE["REMOTE_ADDR"]) -> int:
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})
    return int(response.status_code)


def _copy_session(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def _signed_in_twice(app: Flask, username: str) -> tuple[FlaskClient, FlaskClient]:
    """A logged-in browser and a second one holding a copy of its session cookie."""
    browser, thief = app.test_client(), app.test_client()
    login(browser, username)
    _copy_session(browser, thief)
    assert thief.get("/tasks").status_code == 200
    return browser, thief


def test_a_copied_session_cookie_stops_working_after_logout(app: Flask) -> None:
    browser, thief = _signed_in_twice(app, "pembantu.dinkes")
    assert post(browser, "/logout").status_code == 302
    answer = thief.get("/tasks")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_logout_ends_the_users_sessions_on_other_devices_too(app: Flask) -> None:
    office, home = app.test_client(), app.test_client()
    login(office, "plid.utama")
    login(home, "plid.utama")
    post(home, "/logout")
    assert office.get("/tasks").status_code == 302
    login(office, "plid.utama")
    assert office.get("/tasks").status_code == 200


def test_a_password_change_ends_every_session_with_the_old_password(app: Flask, people: Any) -> None:
    browser, thief = _signed_in_twice(app, "pembantu.disdik")
    saved = post(people("admin"), "/admin/users/pembantu.disdik", {
        "display_name": "Disdik", "email": "disdik@ppid.test", "roles": "ppid_pembantu", "opd": "Dinas Pendidikan",
        "active": "on", "password": "sandi-baru-disdik"})
    assert saved.status_code == 302
    assert browser.get("/tasks").status_code == 302 and thief.get("/tasks").status_code == 302
    login(browser, "pembantu.disdik", "sandi-baru-disdik")
    assert browser.get("/tasks").status_code == 200


def test_an_edit_without_a_new_password_keeps_the_sessions(app: Flask, people: Any) -> None:
    browser, _ = _signed_in_twice(app, "pembantu.disdik")
    post(people("admin"), "/admin/users/pembantu.disdik", {
        "display_name": "PPID Disdik", "email": "disdik@ppid.test", "roles": "ppid_pembantu",
        "opd": "Dinas Pendidikan", "active": "on"})
    assert browser.get("/tasks").status_code == 200


def test_deactivation_ends_a_copied_session_even_after_reactivation(app: Flask, people: Any) -> None:
    _, thief = _signed_in_twice(app, "pembantu.disdik")
    form = {"display_name": "Disdik", "email": "disdik@ppid.test", "roles": "ppid_pembantu",
            "opd": "Dinas Pendidikan"}
    post(people("admin"), "/admin/users/pembantu.disdik", form)
    post(people("admin"), "/admin/users/pembantu.disdik", {**form, "active": "on"})
    assert thief.get("/tasks").status_code == 302


def test_one_persons_typos_do_not_lock_out_a_colleague_behind_the_same_address(app: Flask) -> None:
    client = app.test_client()
    assert [_attempt(client, "pembantu.dinkes", f"salah-{n}") for n in range(5)] == [401] * 5
    assert _attempt(client, "pembantu.dinkes", PASSWORD) == 429
    assert _attempt(client, "pembantu.disdik", PASSWORD) == 302


def test_the_owner_on_another_address_still_logs_in_while_one_address_is_locked(app: Flask) -> None:
    client = app.test_client()
    for n in range(5):
        _attempt(client, "plid.utama", f"salah-{n}")
    assert _attempt(client, "plid.utama", PASSWORD) == 429
    assert _attempt(app.test_client(), "plid.utama", PASSWORD, address="10.99.0.7") == 302


def test_guesses_spread_over_many_addresses_lock_the_account(app: Flask) -> None:
    client = app.test_client()
    statuses = [_attempt(client, "ppid.utama", f"salah-{n}", address=f"10.0.{n}.1") for n in range(21)]
    assert statuses == [401] * 20 + [429]
    assert _attempt(client, "ppid.utama", PASSWORD, address="10.1.1.1") == 429


def test_the_lock_ends_one_window_after_the_last_failure(app: Flask, clock: ManualClock) -> None:
    client = app.test_client()
    for n in range(5):
        _attempt(client, "auditor", f"salah-{n}")
    clock.advance(timedelta(minutes=4))
    assert _attempt(client, "auditor", PASSWORD) == 429
    clock.advance(timedelta(minutes=1, seconds=1))
    assert _attempt(client, "auditor", PASSWORD) == 302


def test_the_throttle_is_shared_by_every_process_on_the_database(app: Flask, engine_ctx: EngineContext,
                                                                  tmp_path: Path) -> None:
    for n in range(5):
        _attempt(app.test_client(), "pemilik.proses", f"salah-{n}")
    other = EngineContext.create(engine_ctx.settings, clock=engine_ctx.clock)
    try:
        second = create_app(other, {"TESTING": True})
        assert _attempt(second.test_client(), "pemilik.proses", PASSWORD) == 429
    finally:
        other.db.dispose()


def test_twenty_parallel_guesses_get_at_most_five_password_checks(app: Flask) -> None:
    clients = [app.test_client() for _ in range(20)]
    tokens = [csrf_token(client) for client in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client: FlaskClient, token: str, n: int) -> None:
        start.wait()
        answer = client.post("/login", data={"username": "plid.utama", "password": f"salah-{n}", "csrf_token": token},
                             environ_base=OFFICE)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=guess, args=(c, t, n)) for n, (c, t) in enumerate(zip(clients, tokens,
                                                                                            strict=True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 15


@pytest.fixture
def file_calls() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every open and chmod this process makes while the test runs (audit hooks cannot be removed: it is muted)."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if active[0] and event in ("open", "os.chmod"):
            calls.append((event, args))

    sys.addaudithook(hook)
    yield calls
    active[0] = False


def test_the_secret_key_file_is_created_owner_only_in_one_step(tmp_path: Path,
                                                                file_calls: list[tuple[str, tuple[Any, ...]]]) -> None:
    previous = os.umask(0)
    try:
        key = _secret_key(tmp_path / "instance")
    finally:
        os.umask(previous)
    path = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    on_key = [(event, args) for event, args in file_calls if str(args[0]) == str(path)]
    event, (_, _, flags) = on_key[0]
    assert event == "open" and flags & os.O_EXCL and flags & os.O_CREAT
    assert not [event for event, _ in on_key if event == "os.chmod"]  # born 0600: never chmod-ed into it
    assert _secret_key(tmp_path / "instance") == key and len(key) == 64
