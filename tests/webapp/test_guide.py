"""The guide ("Panduan"): one page per role, named from the configuration, its steps and time standards read
from the deployed diagrams."""

from __future__ import annotations

from flask import Flask

from engine.context import EngineContext
from engine.people import users
from tests.conftest import PASSWORD
from tests.webapp.conftest import login
from tests.webapp.pages import page, text_of


def test_a_pembantu_is_led_to_the_guide_of_their_role_with_their_steps_and_deadlines(app: Flask) -> None:
    client = app.test_client()
    login(client, "pembantu.dinkes")
    assert page(client.get("/tasks")).xpath('//a[@id="nav-guide"]/text()') == ["Panduan"]
    answer = client.get("/guide")
    assert answer.status_code == 302 and answer.headers["Location"] == "/guide/ppid_pembantu"
    guide = client.get("/guide/ppid_pembantu")
    text = text_of(guide)
    assert guide.status_code == 200 and "Panduan PPID Pembantu" in text
    assert "OPD Anda sendiri (Dinas Kesehatan)" in text
    [step] = page(guide).xpath('//ol[contains(@class, "guide-steps")]/li')
    assert step.xpath("h3")[0].text_content().startswith("Langkah 2: Menyiapkan dan mengidentifikasi data")
    assert step.xpath('.//dd[@class="guide-time"]')[0].text_content() == "1 jam 30 menit"
    assert "Setelah 80% waktunya berlalu" in text and "belum_sesuai" not in text and "PT90M" not in text


def test_a_person_with_two_roles_chooses_and_every_role_has_a_page(app: Flask, engine_ctx: EngineContext) -> None:
    users.create_user(engine_ctx, "dua.peran", PASSWORD, ["plid_utama", "auditor"], "Dua Peran", "dua@ppid.test")
    client = app.test_client()
    login(client, "dua.peran")
    index = client.get("/guide")
    assert [a.text_content() for a in page(index).xpath('//ul[@class="guide-roles"]//a')] == [
        "Panduan PLID Utama", "Panduan Auditor"]
    for role, title in (("ppid_utama", "Panduan PPID Utama"), ("process_owner", "Panduan Pemilik proses"),
                        ("admin", "Panduan Admin"), ("auditor", "Panduan Auditor")):
        shown = client.get(f"/guide/{role}")
        assert shown.status_code == 200 and page(shown).xpath("//h1/text()") == [title]
    assert client.get("/guide/kepala_dinas").status_code == 404


def test_the_guide_needs_a_login(app: Flask) -> None:
    answer = app.test_client().get("/guide/ppid_pembantu")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
