"""Logging in and out: a clear refusal, a throttle after repeated failures, a safe session cookie."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.webapp.conftest import csrf_token, login, post
from tests.webapp.pages import flash_messages


def _attempt(client: FlaskClient, username: str, password: str, path: str = "/login") -> Any:
    return client.post(path, data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def test_a_wrong_password_is_refused_with_401_and_the_same_message_as_an_unknown_user(client: FlaskClient) -> None:
    wrong = _attempt(client, "ppid.utama", "bukan-sandinya")
    unknown = _attempt(client, "tidak.ada", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert flash_messages(response) == ["Nama pengguna atau kata sandi salah."]
    assert 'value="ppid.utama"' in wrong.get_data(as_text=True)
    assert client.get("/tasks").status_code == 302


def test_after_five_failures_even_the_right_password_waits_with_429(client: FlaskClient) -> None:
    statuses = [_attempt(client, "plid.utama", f"salah-{n}").status_code for n in range(5)]
    blocked = _attempt(client, "plid.utama", PASSWORD)
    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert flash_messages(blocked) == ["Terlalu banyak percobaan gagal. Tunggu beberapa menit lalu coba lagi."]
    assert client.get("/tasks").status_code == 302  # still not logged in


def test_the_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    response = _attempt(client, "ppid.utama", PASSWORD)
    assert response.status_code == 302
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies
    attributes = {part.strip().lower() for part in cookies[-1].split(";")}
    assert "httponly" in attributes and "samesite=lax" in attributes


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client: FlaskClient) -> None:
    asked = client.get("/instances")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/login?next=")
    back = _attempt(client, "auditor", PASSWORD, asked.headers["Location"])
    assert back.headers["Location"] == "/instances"
    other = client.application.test_client()
    away = _attempt(other, "auditor", PASSWORD, "/login?next=//evil.example/phish")
    assert away.headers["Location"] == "/"


def test_logout_is_a_post_and_ends_the_session(client: FlaskClient) -> None:
    login(client, "pembantu.dinkes")
    assert client.get("/tasks").status_code == 200
    assert client.get("/logout").status_code == 405
    assert client.get("/tasks").status_code == 200
    out = post(client, "/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    again = client.get("/tasks")
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")


def test_an_account_made_inactive_by_the_admin_is_logged_out_on_its_next_request(client: FlaskClient) -> None:
    login(client, "pembantu.disdik")
    admin = client.application.test_client()
    login(admin, "admin")
    saved = post(admin, "/admin/users/pembantu.disdik", {"display_name": "Disdik", "email": "disdik@ppid.test",
                                                        "roles": "ppid_pembantu", "opd": "Dinas Pendidikan"})
    assert saved.status_code == 302
    assert client.get("/tasks").status_code == 302
    assert _attempt(client.application.test_client(), "pembantu.disdik", PASSWORD).status_code == 401


def test_a_head_request_for_the_login_page_is_the_page_and_never_a_login_attempt(client: FlaskClient) -> None:
    """Link checkers and monitors send HEAD: it must not count against anyone's attempts."""
    assert [client.head("/login").status_code for _ in range(6)] == [200] * 6
    assert _attempt(client, "ppid.utama", PASSWORD).status_code == 302
