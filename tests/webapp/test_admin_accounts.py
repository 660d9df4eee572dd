"""The Admin's offices and API-token pages; offices chosen from the list by user and plan forms, refused
otherwise with an Indonesian message by page and API; a revoked or expired token refused at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.people import tokens
from tests.engine import flow
from tests.webapp.conftest import post
from tests.webapp.pages import People, error_message, field_error, flash_messages, page, snapshot, step_form

API = "/api/v1"
PEMBANTU = {"username": "pembantu.bapenda", "display_name": "PPID Pembantu Bapenda", "email": "b@ppid.test",
            "roles": "ppid_pembantu", "password": "kata-sandi-bapenda"}


def _offices_table(response: Any) -> list[list[str]]:
    return [[" ".join(td.text_content().split()) for td in row.xpath("./td")][:3]
            for row in page(response).xpath('//table[@id="offices"]/tbody/tr')]


def test_the_admin_adds_an_office_that_users_can_then_be_given(people: People) -> None:
    admin = people("admin")
    added = post(admin, "/admin/offices", {"name": "Badan Pendapatan Daerah", "short_name": "Bapenda"})
    listing = admin.get(added.headers["Location"])
    assert flash_messages(listing) == ["OPD Badan Pendapatan Daerah ditambahkan."]
    assert ["Badan Pendapatan Daerah", "Bapenda", "Aktif"] in _offices_table(listing)
    form = page(admin.get("/admin/users")).xpath('//form[@action="/admin/users"]//select[@name="opd"]/option/@value')
    assert "Badan Pendapatan Daerah" in form
    assert post(admin, "/admin/users", {**PEMBANTU, "opd": "Badan Pendapatan Daerah"}).status_code == 302


def test_a_deactivated_office_leaves_the_choices_and_can_come_back(people: People) -> None:
    admin = people("admin")
    post(admin, "/admin/offices/active", {"name": "Dinas Perhubungan", "active": "0"})
    listing = admin.get("/admin/offices")
    assert ["Dinas Perhubungan", "Dinas Perhubungan", "Nonaktif"] in _offices_table(listing)
    refused = post(admin, "/admin/users", {**PEMBANTU, "opd": "Dinas Perhubungan"})
    assert refused.status_code == 400
    assert error_message(refused) == "OPD Dinas Perhubungan tidak dikenal: pilih OPD aktif dari daftar."
    post(admin, "/admin/offices/active", {"name": "Dinas Perhubungan", "active": "1"})
    assert ["Dinas Perhubungan", "Dinas Perhubungan", "Aktif"] in _offices_table(admin.get("/admin/offices"))


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "Dinas Kesehatan"}, "OPD Dinas Kesehatan sudah ada dalam daftar."),
    ({"name": "  "}, "OPD harus memiliki nama."),
    ({"name": "Dinas Baru", "short_name": "x" * 41}, "Nama OPD paling banyak 200 karakter, nama singkat paling "
                                                     "banyak 40."),
], ids=["duplicate", "blank", "long-short-name"])
def test_a_bad_office_is_refused_with_an_indonesian_message_and_nothing_stored(
    people: People, engine_ctx: EngineContext, form: dict[str, str], message: str
) -> None:
    admin = people("admin")
    before = _offices_table(admin.get("/admin/offices"))
    refused = post(admin, "/admin/offices", form)
    assert refused.status_code == 400 and error_message(refused) == message
    assert _offices_table(admin.get("/admin/offices")) == before


@pytest.mark.parametrize(("opd", "message"), [
    ("", "Akun PPID Pembantu harus memiliki OPD dari daftar."),
    ("Dinas Pariwisata", "OPD Dinas Pariwisata tidak dikenal: pilih OPD aktif dari daftar."),
], ids=["no-office", "unknown-office"])
def test_a_pembantu_without_an_office_of_the_list_is_refused_and_nothing_stored(
    people: People, engine_ctx: EngineContext, opd: str, message: str
) -> None:
    before = snapshot(engine_ctx)
    refused = post(people("admin"), "/admin/users", {**PEMBANTU, "opd": opd})
    assert refused.status_code == 400 and error_message(refused) == message
    assert snapshot(engine_ctx) == before


def test_only_the_admin_reaches_the_offices_and_tokens_pages(people: People) -> None:
    for username in ("ppid.utama", "auditor", "pembantu.dinkes"):
        assert people(username).get("/admin/offices").status_code == 403
        assert people(username).get("/admin/tokens").status_code == 403
        assert post(people(username), "/admin/offices", {"name": "Dinas X"}).status_code == 403


def _plan_page_refusal(people: People, engine_ctx: EngineContext, row: dict[str, str]) -> Any:
    utama = people("ppid.utama")
    started = post(utama, "/instances", {"process": "ppid_publikasi"})
    before = snapshot(engine_ctx)
    response = post(utama, f"{started.headers['Location']}/complete",
                    step_form({**flow.STEP_1, "rencana_unggahan": [flow.PLAN[0], row]}))
    assert response.status_code == 422
    assert snapshot(engine_ctx) == before
    return response


def test_the_plan_form_offers_the_active_offices_and_refuses_another(people: People,
                                                                     engine_ctx: EngineContext) -> None:
    response = _plan_page_refusal(people, engine_ctx, {**flow.PLAN[1], "opd": "Dinas Pariwisata"})
    assert field_error(response, "rencana_unggahan") == ("item 2: OPD Dinas Pariwisata tidak dikenal; pilih dari "
                                                         "daftar OPD")
    choices = page(response).xpath('//select[@name="rencana_unggahan-0-opd"]/option/@value')
    assert choices == ["", "Dinas Kesehatan", "Dinas Komunikasi dan Informatika", "Dinas Pendidikan",
                       "Dinas Perhubungan"]


def test_a_past_target_date_is_refused_on_the_page(people: People, engine_ctx: EngineContext,
                                                   clock: ManualClock) -> None:
    clock.advance(timedelta(days=5))
    response = _plan_page_refusal(people, engine_ctx, flow.PLAN[1])
    assert field_error(response, "rencana_unggahan") == "item 2: tanggal target 27 November 2026 sudah lewat"


def test_the_api_refuses_an_unknown_office_and_a_past_date_with_422(client: FlaskClient,
                                                                    engine_ctx: EngineContext,
                                                                    clock: ManualClock) -> None:
    headers = {"Authorization": f"Bearer {tokens.create_token(engine_ctx, 'ppid.utama')}"}
    assert client.post(API + "/instances", json={"process": "ppid_publikasi"}, headers=headers).status_code == 201
    task_id = client.get(API + "/tasks", headers=headers).get_json()["items"][0]["id"]
    clock.advance(timedelta(days=5))
    before = snapshot(engine_ctx)
    for row, problem in (({**flow.PLAN[0], "opd": "Dinas Pariwisata"}, "unknown office Dinas Pariwisata"),
                         (flow.PLAN[1], "the target date 2026-11-27 is in the past")):
        answer = client.post(f"{API}/tasks/{task_id}/complete", headers=headers,
                             json={**flow.STEP_1, "rencana_unggahan": [row]})
        assert answer.status_code == 422 and problem in answer.get_json()["fields"]["rencana_unggahan"]
    assert snapshot(engine_ctx) == before


def _api_status(client: FlaskClient, token: str) -> int:
    return int(client.get(API + "/tasks", headers={"Authorization": f"Bearer {token}"}).status_code)


def test_a_revoked_or_expired_token_gets_401_at_once(client: FlaskClient, engine_ctx: EngineContext,
                                                      clock: ManualClock) -> None:
    short = tokens.create_token(engine_ctx, "plid.utama", "short", expires_days=1)
    revoked = tokens.create_token(engine_ctx, "plid.utama", "revoked")
    assert _api_status(client, short) == 200 and _api_status(client, revoked) == 200
    tokens.revoke_tokens(engine_ctx, "plid.utama", label="revoked")
    assert _api_status(client, revoked) == 401 and _api_status(client, short) == 200
    clock.advance(timedelta(days=1))
    answer = client.get(API + "/tasks", headers={"Authorization": f"Bearer {short}"})
    assert answer.status_code == 401 and "expired" in answer.get_json()["error"]


def test_the_admin_sees_each_tokens_life_and_revokes_one(people: People, client: FlaskClient,
                                                         engine_ctx: EngineContext, clock: ManualClock) -> None:
    used = tokens.create_token(engine_ctx, "plid.utama", "integrasi")
    tokens.create_token(engine_ctx, "auditor", "laporan", expires_days=30)
    clock.advance(timedelta(hours=2))
    assert _api_status(client, used) == 200
    admin = people("admin")
    rows = {row.xpath("string(./td[2])"): [" ".join(td.text_content().split()) for td in row.xpath("./td")][:6]
            for row in page(admin.get("/admin/tokens")).xpath('//table[@id="tokens"]/tbody/tr')}
    assert rows["integrasi"] == ["plid.utama", "integrasi", "23 November 2026 09.00 WIB", "21 Februari 2027 09.00 WIB",
                                 "23 November 2026 11.00 WIB", "Berlaku"]
    assert rows["laporan"] == ["auditor", "laporan", "23 November 2026 09.00 WIB", "23 Desember 2026 09.00 WIB",
                               "Belum pernah", "Berlaku"]
    token_id = page(admin.get("/admin/tokens")).xpath(
        '//table[@id="tokens"]//tr[td[2]="integrasi"]//input[@name="token_id"]/@value')[0]
    done = post(admin, "/admin/tokens/revoke", {"username": "plid.utama", "token_id": token_id})
    assert flash_messages(admin.get(done.headers["Location"])) == ["1 token API milik plid.utama dicabut."]
    assert _api_status(client, used) == 401
    listing = admin.get("/admin/tokens")
    assert "Dicabut" in page(listing).xpath('string(//table[@id="tokens"]//tr[td[2]="integrasi"]/td[6])')


def test_deactivating_a_user_revokes_their_tokens_on_the_admin_page(app: Flask, people: People,
                                                                    engine_ctx: EngineContext) -> None:
    token = tokens.create_token(engine_ctx, "plid.utama", "integrasi")
    form = {"display_name": "PLID", "email": "plid@ppid.test", "roles": "plid_utama"}
    post(people("admin"), "/admin/users/plid.utama", form)
    post(people("admin"), "/admin/users/plid.utama", {**form, "active": "on"})
    assert _api_status(app.test_client(), token) == 401
