"""Mistakes get an answer on the same page (issue 11 §3): a refused comment, cancellation or file removal shows
the page again with the message beside the field and what was typed, and changes nothing; the language switch
after a form post returns to a page that answers GET, on this site only."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.context import EngineContext
from engine.store import Instance
from tests.webapp.conftest import post
from tests.webapp.pages import (
    People,
    attach_a_pdf,
    field_error,
    field_value,
    open_task,
    page,
    snapshot,
    text_of,
)


def test_a_too_long_comment_comes_back_on_the_item_page_with_the_text_kept(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    before = snapshot(engine_ctx)
    typed = "Mohon dicek ulang. " * 250
    refused = post(people("pembantu.dinkes"), f"/instances/{item.id}/comments", {"body": typed})
    assert refused.status_code == 400
    assert field_error(refused, "body") == "Komentar paling banyak 4000 karakter."
    assert field_value(refused, "body") == typed
    assert page(refused).xpath('string(//h1)').startswith(f"#{item.id} Laporan keuangan semester I")
    assert snapshot(engine_ctx) == before


def test_a_blank_cancel_reason_is_answered_beside_the_field_and_the_item_keeps_running(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    before = snapshot(engine_ctx)
    refused = post(people("ppid.utama"), f"/instances/{item.id}/cancel", {"reason": "   "})
    assert refused.status_code == 400
    assert field_error(refused, "reason") == "Pembatalan memerlukan alasan."
    assert page(refused).xpath('//form[@id="cancel-form"][@data-confirm="confirm-cancel"]')
    assert page(refused).xpath('//dialog[@id="confirm-cancel"]//button[@data-confirm-yes]')
    assert "berjalan" in text_of(refused) and snapshot(engine_ctx) == before


def test_a_blank_removal_reason_is_answered_beside_that_file(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    task = open_task(engine_ctx, item.id)
    pembantu = people("pembantu.dinkes")
    attachment_id = attach_a_pdf(pembantu, task.id)
    before = snapshot(engine_ctx)
    refused = post(pembantu, f"/attachments/{attachment_id}/remove", {"reason": ""})
    assert refused.status_code == 400
    [entry] = page(refused).xpath(f'//li[@data-attachment="{attachment_id}"]')
    message = entry.xpath('string(.//span[contains(@class, "field-error")])')
    assert message.lower().startswith("penghapusan memerlukan alasan")
    assert page(refused).xpath('//form[@id="step-form"]') and snapshot(engine_ctx) == before


def test_switching_language_after_a_refused_post_stays_on_the_item_page(
    people: People, item: Instance
) -> None:
    pembantu = people("pembantu.dinkes")
    refused = post(pembantu, f"/instances/{item.id}/comments", {"body": ""},
                   headers={"Referer": f"http://localhost/instances/{item.id}"})
    [back] = page(refused).xpath('//input[@name="next"]/@value')
    assert back == f"http://localhost/instances/{item.id}"
    switched = post(pembantu, "/language/en", {"next": back})
    assert switched.status_code == 302 and switched.headers["Location"] == f"/instances/{item.id}"
    shown = pembantu.get(switched.headers["Location"])
    assert shown.status_code == 200 and "Comments" in text_of(shown)


def test_the_language_switch_climbs_from_a_post_only_address_and_never_leaves_the_site(
    people: People, item: Instance, client: FlaskClient
) -> None:
    pembantu = people("pembantu.dinkes")
    task = f"/tasks/{open_task_id(pembantu, item)}"

    def target(next_page: str) -> str:
        answer = post(pembantu, "/language/id", {"next": next_page})
        assert answer.status_code == 302
        return str(answer.headers["Location"])

    assert target(f"{task}/complete") == task
    assert target(f"/instances/{item.id}/comments") == f"/instances/{item.id}"
    assert target("/instances?status=running&q=laporan") == "/instances?status=running&q=laporan"
    for elsewhere in ("https://evil.example/tasks", "//evil.example/tasks", "/\\evil.example", "javascript:alert(1)",
                      "/no/such/page"):
        assert target(elsewhere) == "/", elsewhere
    referred = post(pembantu, "/language/id", headers={"Referer": f"http://localhost/instances/{item.id}/cancel"})
    assert referred.headers["Location"] == f"/instances/{item.id}"


def open_task_id(client: FlaskClient, item: Instance) -> str:
    [task_id] = page(client.get(f"/instances/{item.id}")).xpath('//table[@id="steps"]//a/@href')
    return str(task_id).rsplit("/", 1)[1]
