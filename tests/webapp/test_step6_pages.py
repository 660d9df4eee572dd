"""Step 6's page: the address is prefilled from step 4, completing is refused in Indonesian when the page is not
accessible (the stored state unchanged), "Tidak" sends the item back to step 4 with the reason, the server never
requests an address off the PPID website, and a full checker answers 503 at once."""

from __future__ import annotations

import socket

from engine.context import EngineContext
from engine.runtime.outbound import Outbound
from tests.engine import flow
from tests.pg_server import free_port
from tests.webapp.conftest import post
from tests.webapp.pages import People, field_value, flash_messages, page, snapshot, submit, text_of
from tests.website import ADDRESS

OFF_SITE_TEXT = "Alamat tersebut bukan bagian dari website PPID."


def test_step_6_starts_from_step_4s_address(people: People, engine_ctx: EngineContext) -> None:
    _, step_6 = flow.reach_step(engine_ctx, 6)
    shown = people("plid.utama").get(f"/tasks/{step_6.id}")
    assert field_value(shown, "tautan_publik") == flow.STEP_4["tautan_unggahan"]


def test_completing_on_a_404_is_refused_in_indonesian_and_changes_nothing(people: People,
                                                                         engine_ctx: EngineContext) -> None:
    _, step_6 = flow.reach_step(engine_ctx, 6)
    before = snapshot(engine_ctx)
    refused = submit(people("plid.utama"), step_6.id, {**flow.STEP_6, "tautan_publik": f"{ADDRESS}/tidak-ada",
                                                       "alasan_tautan_berbeda": "Dipindah."})
    assert refused.status_code == 422
    assert any("tidak dapat diakses masyarakat" in message and "Tidak" in message
               for message in flash_messages(refused))
    assert "Website menjawab HTTP 404" in text_of(refused)
    assert snapshot(engine_ctx) == before


def test_a_foreign_host_is_refused(people: People, engine_ctx: EngineContext) -> None:
    _, step_6 = flow.reach_step(engine_ctx, 6)
    refused = submit(people("plid.utama"), step_6.id, {**flow.STEP_6, "alasan_tautan_berbeda": "Dipindah.",
                                                       "tautan_publik": "https://contoh.example.com/informasi/1"})
    assert refused.status_code == 422 and OFF_SITE_TEXT in text_of(refused)


def test_the_server_never_requests_a_loopback_port_that_is_not_the_website(people: People,
                                                                           engine_ctx: EngineContext) -> None:
    _, step_6 = flow.reach_step(engine_ctx, 6)
    plid = people("plid.utama")
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    listening.setblocking(False)
    try:
        shown = [post(plid, f"/tasks/{step_6.id}/check-url", {"tautan_publik": f"http://127.0.0.1:{port}/admin"})
                 for port in (listening.getsockname()[1], free_port())]
        try:
            listening.accept()
            connected = True
        except BlockingIOError:
            connected = False
    finally:
        listening.close()
    results = [page(r).xpath('normalize-space(//*[@id="url-check-result"])') for r in shown]
    assert results == [OFF_SITE_TEXT, OFF_SITE_TEXT] and not connected


def test_tidak_returns_the_item_to_step_4_which_shows_the_reason(people: People, engine_ctx: EngineContext) -> None:
    instance_id, step_6 = flow.reach_step(engine_ctx, 6)
    plid = people("plid.utama")
    done = submit(plid, step_6.id, {**flow.TIDAK_DAPAT_DIAKSES, "tautan_publik": f"{ADDRESS}/tidak-ada",
                                    "alasan_tautan_berbeda": ""})
    assert done.status_code == 302
    [step_4] = flow.open_tasks(engine_ctx, instance_id)
    assert step_4.spec_id == "Task_4_Unggah"
    notice = page(plid.get(f"/tasks/{step_4.id}")).xpath('normalize-space(//*[@id="returned-reasons"])')
    assert notice == ("Dikembalikan di langkah 6 (Dapat diakses? Tidak) Alasan dikembalikan ke langkah 4: "
                      + flow.TIDAK_DAPAT_DIAKSES["alasan_tidak_diakses"])


def test_a_full_checker_answers_503_at_once(people: People, engine_ctx: EngineContext) -> None:
    _, step_6 = flow.reach_step(engine_ctx, 6)
    checker = Outbound(engine_ctx.settings.website)
    engine_ctx.url_checker = checker.check
    held = 0
    while checker._slots.acquire(blocking=False):  # every slot taken, as by that many slow requests
        held += 1
    try:
        busy = submit(people("plid.utama"), step_6.id, flow.STEP_6)
    finally:
        for _ in range(held):
            checker._slots.release()
    assert busy.status_code == 503
    assert "coba lagi" in text_of(busy)
    assert submit(people("plid.utama"), step_6.id, flow.STEP_6).status_code == 302
