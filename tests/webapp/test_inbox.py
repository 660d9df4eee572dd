"""The inbox: overdue first, counts in the header, filters by scope, lane and OPD, 25 tasks a page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.people import users
from engine.runtime import instances
from engine.store import Instance
from tests.conftest import PASSWORD
from tests.webapp.pages import People, advance_item, open_task, page, plan_item, start_items

DINKES, DISDIK = "Dinas Kesehatan", "Dinas Pendidikan"
DOUBLE_ROLE = "staf.ganda"  # PLID Utama of every OPD, and PPID Pembantu of Dinas Kesehatan only


@pytest.fixture
def items(engine_ctx: EngineContext, clock: ManualClock) -> list[Instance]:
    """39 open tasks: 24 Dinkes and 13 Disdik items at step 2 (90 minutes), 2 Dinkes items at step 3 (60 minutes),
    70 minutes later."""
    users.create_user(engine_ctx, DOUBLE_ROLE, PASSWORD, ["plid_utama", "ppid_pembantu"], "Staf ganda",
                      "ganda@ppid.test", DINKES)
    made = start_items(engine_ctx, *[plan_item(f"Dinkes {n:02d}", DINKES) for n in range(26)],
                       *[plan_item(f"Disdik {n:02d}", DISDIK) for n in range(13)])
    for item in made[:2]:
        advance_item(engine_ctx, item.id, 3)
    clock.advance(timedelta(minutes=70))
    return made


def rows(response: object) -> list[dict[str, str]]:
    """The inbox rows, each cell under its (Indonesian) column heading."""
    table = page(response).xpath('//table[@id="inbox"]')
    if not table:
        return []
    headings = [" ".join(th.text_content().split()) for th in table[0].xpath("./thead/tr/th")]
    found = []
    for row in table[0].xpath("./tbody/tr"):
        cells = dict(zip(headings, (" ".join(c.text_content().split()) for c in row.xpath("./td")), strict=True))
        found.append({"step": row.get("data-step"), "item": cells["Item"], "opd": cells["OPD"],
                      "lane": cells["Lajur"], "deadline": cells["Batas waktu"],
                      "overdue": bool(row.xpath('.//*[@data-overdue="1"]'))})
    return found


def count(response: object, element_id: str) -> int:
    return int(page(response).xpath(f'//*[@id="{element_id}"]')[0].text_content())


def test_overdue_tasks_come_first_with_a_badge_and_the_counts_show_in_the_header(
    people: People, items: list[Instance]
) -> None:
    inbox = people(DOUBLE_ROLE).get("/tasks")
    listed = rows(inbox)
    assert [row["step"] for row in listed[:2]] == ["3", "3"]
    assert all(row["overdue"] and "Terlambat" in row["deadline"] for row in listed[:2])
    assert not any(row["overdue"] for row in listed[2:])
    assert (count(inbox, "count-inbox"), count(inbox, "count-lanes"), count(inbox, "count-overdue"),
            count(inbox, "count-mine")) == (26, 26, 2, 0)


def test_more_than_25_tasks_are_paged(people: People, items: list[Instance]) -> None:
    client = people(DOUBLE_ROLE)
    first = client.get("/tasks")
    following = re.search(r'id="page-next" href="([^"]+)"', first.get_data(as_text=True))
    assert following and "25 dari 26 tugas ditampilkan" in first.get_data(as_text=True)
    second = client.get("/tasks" + html.unescape(following.group(1)))
    assert len(rows(first)) == 25 and len(rows(second)) == 1 and 'id="page-next"' not in second.get_data(as_text=True)
    seen = {row["item"] for row in rows(first)} | {row["item"] for row in rows(second)}
    assert len(seen) == 26
    refused = client.get("/tasks?after=bukan-kursor")
    assert refused.status_code == 400 and "Tautan halaman tidak sah" in refused.get_data(as_text=True)


def test_filters_by_lane_opd_and_scope(people: People, engine_ctx: EngineContext, items: list[Instance]) -> None:
    client = people(DOUBLE_ROLE)
    plid = rows(client.get("/tasks?lane=PLID+Utama"))
    assert [row["item"] for row in plid] == ["Dinkes 00", "Dinkes 01"] and {r["lane"] for r in plid} == {"PLID Utama"}
    assert rows(client.get("/tasks?opd=Dinas+Pendidikan")) == []  # step 2 of another office is not theirs
    both = rows(client.get("/tasks?lane=PPID+Pembantu&opd=Dinas+Kesehatan"))
    assert len(both) == 24 and {(r["lane"], r["opd"]) for r in both} == {("PPID Pembantu", DINKES)}
    assert len(rows(client.get("/tasks?scope=overdue"))) == 2

    task = open_task(engine_ctx, items[5].id)
    instances.claim_task(engine_ctx, task.id, DOUBLE_ROLE)
    mine = client.get("/tasks?scope=mine")
    assert [row["item"] for row in rows(mine)] == ["Dinkes 05"]
    assert count(mine, "count-mine") == 1
    unclaimed = rows(client.get("/tasks?scope=unclaimed&lane=PPID+Pembantu"))
    assert len(unclaimed) == 23 and "Dinkes 05" not in {row["item"] for row in unclaimed}


def test_a_pembantu_sees_only_their_office_even_when_asking_for_another(
    people: People, items: list[Instance]
) -> None:
    client = people("pembantu.disdik")
    own = client.get("/tasks")
    assert {row["opd"] for row in rows(own)} == {DISDIK} and len(rows(own)) == 13
    assert count(own, "count-inbox") == 13
    assert not page(own).xpath('//select[@name="opd"]')
    assert rows(client.get("/tasks?opd=Dinas+Kesehatan")) == []


def test_each_lane_sees_only_its_own_steps(people: People, items: list[Instance]) -> None:
    assert {row["step"] for row in rows(people("plid.utama").get("/tasks"))} == {"3"}
    utama = people("ppid.utama").get("/tasks")
    assert rows(utama) == [] and "Tidak ada tugas" in utama.get_data(as_text=True)
