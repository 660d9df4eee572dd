"""One seeded state full of hostile text, built through the engine as the people would: the process owner
deploys the hostile item diagram, PPID Utama plans items with hostile titles, the office fills step 2 with
hostile values and uploads a file, PLID comments, PPID Utama cancels an item with a hostile reason and the
admin gives a user a hostile display name."""

from __future__ import annotations

from dataclasses import dataclass

from engine.context import EngineContext
from engine.diagrams.drafts import deploy_diagram
from engine.people import users
from engine.runtime import comments, instances
from engine.runtime.attachments import add_attachment
from tests.engine import flow
from tests.hostile.payloads import PAYLOAD, SHORT, hostile_item_diagram
from tests.webapp.pages import item_instances, open_task, pdf_bytes

HOSTILE_FILENAME = "lampiran'&amp;;x=1.pdf"
HOSTILE_DISPLAY_NAME = f"Pembantu {SHORT} {PAYLOAD}"


@dataclass(frozen=True)
class World:
    plan_id: int
    item_id: int
    cancelled_id: int
    step_3_id: str


def hostile_world(ctx: EngineContext) -> World:
    deploy_diagram(ctx, "ppid_publikasi_item", hostile_item_diagram(), "pemilik.proses", note=f"Uji {PAYLOAD}")
    users.update_user(ctx, "pembantu.dinkes", "admin", ["ppid_pembantu"], HOSTILE_DISPLAY_NAME,
                      "pembantu.dinkes@ppid.test", "Dinas Kesehatan", True)
    plan_rows = [
        {"judul": PAYLOAD, "opd": "Dinas Kesehatan", "kelas_dip": "berkala", "tanggal_target": "2026-11-30",
         "ringkasan": f"Ringkasan {PAYLOAD}"},
        {"judul": f"Dibatalkan {SHORT}", "opd": "Dinas Pendidikan", "kelas_dip": "berkala",
         "tanggal_target": "2026-11-30", "ringkasan": SHORT},
    ]
    plan = flow.start_with_plan(ctx, plan_rows)
    item, other = item_instances(ctx, plan.id)
    step_2 = open_task(ctx, item.id)
    add_attachment(ctx, item.id, step_2.id, HOSTILE_FILENAME, pdf_bytes(), "pembantu.dinkes")
    values = {**flow.STEP_2, "ringkasan": PAYLOAD, "pejabat_penguasa": PAYLOAD, "penanggung_jawab": SHORT}
    flow.complete(ctx, step_2, values)
    comments.add_comment(ctx, item.id, PAYLOAD, "plid.utama")
    instances.cancel_instance(ctx, other.id, "ppid.utama", PAYLOAD)
    return World(plan.id, item.id, other.id, open_task(ctx, item.id).id)
