"""The modeler's time standard endpoint: the one parser (engine/diagrams/durations.py) behind the panel's "45 menit",
for process owners only, CSRF-protected, with one Indonesian reason when the text is not a time standard."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webapp.conftest import csrf_token, login

URL = "/modeler/duration"


def _ask(client: FlaskClient, text: str) -> tuple[int, dict]:
    response = client.post(URL, data={"text": text},
                           headers={"X-CSRFToken": csrf_token(client, "/modeler/ppid_publikasi_item")})
    return response.status_code, response.get_json()


def test_words_become_iso_and_words_back(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    wall_clock = {"working_days": False}
    assert _ask(client, "1 jam 30 menit") == (200, {"iso": "PT1H30M", "words": "1 jam 30 menit", **wall_clock})
    assert _ask(client, "90 menit") == (200, {"iso": "PT1H30M", "words": "1 jam 30 menit", **wall_clock})
    assert _ask(client, "2 hari") == (200, {"iso": "P2D", "words": "2 hari", **wall_clock})
    assert _ask(client, "10 hari kerja") == (200, {"iso": "P10D", "words": "10 hari kerja", "working_days": True})


def test_a_wrong_unit_gets_one_indonesian_reason(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    status, answer = _ask(client, "45 detik")
    assert status == 400
    assert answer == {"error": '"detik" bukan satuan waktu: gunakan menit, jam, atau hari.', "problems": []}
    status, answer = _ask(client, "")
    assert status == 400 and "bukan standar waktu" in answer["error"]


def test_only_process_owners_may_ask_and_only_with_the_csrf_token(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    assert client.post(URL, data={"text": "45 menit"}).status_code == 400
    client.get("/logout")
    login(client, "ppid.utama")
    response = client.post(URL, data={"text": "45 menit"}, headers={"X-CSRFToken": csrf_token(client, "/instances")})
    assert response.status_code == 403
