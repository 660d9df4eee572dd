"""Incidents on the web: the page and the API for Admin and Pemilik Proses only, retry, the instance page's
banner; and a completion failing on a condition answers a clear 4xx with nothing changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.diagrams import definitions
from engine.people.tokens import create_token
from engine.runtime.services import ServiceCall
from engine.runtime.timers import fire_due_timers
from engine.store import Instance
from handlers import HANDLERS
from tests.conftest import ROOT
from tests.engine import flow
from tests.webapp.conftest import login, post
from tests.webapp.pages import (
    People,
    advance_item,
    error_message,
    flash_messages,
    plan_item,
    snapshot,
    start_items,
    text_of,
)

DINKES = "Dinas Kesehatan"


def _mail_down(call: ServiceCall) -> dict[str, Any]:
    raise ConnectionError("server surat tidak menjawab")


def open_incident(ctx: EngineContext, clock: ManualClock) -> Instance:
    """An item whose step-2 breach handler failed when its timer fired: one open incident."""
    (item,) = start_items(ctx, plan_item("Laporan keuangan semester I", DINKES))
    ctx.handlers["breach_handler"] = _mail_down
    clock.advance(timedelta(minutes=91))
    fire_due_timers(ctx)
    return item


def test_the_incidents_page_lists_and_retries_for_admin_and_process_owner_only(
    people: People, engine_ctx: EngineContext, clock: ManualClock
) -> None:
    item = open_incident(engine_ctx, clock)
    for staff in ("ppid.utama", "auditor", "plid.utama"):
        assert people(staff).get("/incidents/").status_code == 403
        assert post(people(staff), "/incidents/1/retry").status_code == 403
    owner = people("pemilik.proses")
    listing = owner.get("/incidents/")
    shown = text_of(listing)
    assert listing.status_code == 200
    assert "Catat pelanggaran standar waktu" in shown
    assert "server yang dihubungi langkah ini tidak menjawab" in shown
    assert f"#{item.id} Laporan keuangan semester I" in shown and "terbuka" in shown
    page = text_of(people("pembantu.dinkes").get(f"/instances/{item.id}"))
    assert "Insiden terbuka #1 pada langkah Catat pelanggaran standar waktu" in page

    again = post(owner, "/incidents/1/retry", follow_redirects=True)
    assert flash_messages(again) == [
        "Insiden #1 gagal lagi: server yang dihubungi langkah ini tidak menjawab atau menolak sambungan"]
    engine_ctx.handlers["breach_handler"] = HANDLERS["breach_handler"]
    fixed = post(people("admin"), "/incidents/1/retry", follow_redirects=True)
    assert flash_messages(fixed) == ["Insiden #1 selesai: langkahnya dijalankan ulang dan item berlanjut."]
    assert "Tidak ada insiden terbuka." in text_of(fixed)
    assert "Insiden terbuka" not in text_of(people("pembantu.dinkes").get(f"/instances/{item.id}"))


def test_the_incidents_api_lists_and_retries_for_admin_and_process_owner_only(
    client: FlaskClient, engine_ctx: EngineContext, clock: ManualClock
) -> None:
    item = open_incident(engine_ctx, clock)

    def api(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(engine_ctx, username, 'test')}"}

    assert client.get("/api/v1/incidents", headers=api("auditor")).status_code == 403
    assert client.post("/api/v1/incidents/1/retry", headers=api("ppid.utama")).status_code == 403
    [listed] = client.get("/api/v1/incidents", headers=api("admin")).get_json()["items"]
    assert (listed["instance_id"], listed["element_id"], listed["status"]) == (item.id, "Breach_Task_2_Siapkan_Data",
                                                                              "open")
    assert client.get("/api/v1/incidents?status=nonsense", headers=api("admin")).status_code == 400
    engine_ctx.handlers["breach_handler"] = HANDLERS["breach_handler"]
    retried = client.post("/api/v1/incidents/1/retry", headers=api("pemilik.proses"))
    assert retried.status_code == 200 and retried.get_json()["status"] == "resolved"
    assert client.post("/api/v1/incidents/1/retry", headers=api("admin")).status_code == 409
    assert client.get("/api/v1/incidents", headers=api("admin")).get_json()["items"] == []
    assert len(client.get("/api/v1/incidents?status=all", headers=api("admin")).get_json()["items"]) == 1


def test_a_completion_failing_on_a_condition_is_a_clear_400_with_nothing_changed(
    people: People, engine_ctx: EngineContext
) -> None:
    item_xml = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
    definitions.deploy(engine_ctx, item_xml.replace(
        b'keputusan_persetujuan == "disetujui"',
        b'keputusan_persetujuan == "disetujui" and 1 / (len(paraf_nama) - len(paraf_nama)) == 0'))
    (item,) = start_items(engine_ctx, plan_item("Laporan keuangan semester I", DINKES))
    step_5 = advance_item(engine_ctx, item.id, 5)
    before = snapshot(engine_ctx)
    refused = post(people("ppid.utama"), f"/tasks/{step_5.id}/complete",
                   {key: str(value) for key, value in flow.DISETUJUI.items()})
    assert refused.status_code == 400
    assert error_message(refused) == ("Langkah Konten disetujui? tidak dapat dijalankan: pembagian dengan nol pada "
                                      "ekspresi 'keputusan_persetujuan == \"disetujui\" and 1 / (len(paraf_nama) - "
                                      "len(paraf_nama)) == 0'. Tidak ada yang disimpan.")
    assert snapshot(engine_ctx) == before


def test_the_modeler_refuses_a_hostile_condition_marked_on_its_flow(
    client: FlaskClient, engine_ctx: EngineContext
) -> None:
    from tests.webapp.test_modeler import PROCESS, _json_post

    login(client, "pemilik.proses")
    before = snapshot(engine_ctx)
    xml = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_text(encoding="utf-8")
    hostile = xml.replace('keputusan_persetujuan == "disetujui"', "999999**999999 &gt; 0")
    status, answer = _json_post(client, f"/modeler/{PROCESS}/deploy", xml=hostile, note="uji")
    assert status == 422
    [problem] = answer["problems"]
    assert (problem["element_id"], problem["rule"]) == ("Flow_Disetujui", "expression")
    assert "melampaui batas perpangkatan" in problem["message"]
    assert snapshot(engine_ctx) == before
