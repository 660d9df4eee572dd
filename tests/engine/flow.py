"""Driving the publication SOP through the public engine API, as the people in each lane would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.context import EngineContext
from engine.runtime import instances, task_list
from engine.store import Instance, WorkItem
from tests.website import ADDRESS

PLAN = [
    {"judul": "Laporan keuangan semester I", "opd": "Dinas Kesehatan", "kelas_dip": "berkala",
     "tanggal_target": "2026-11-30", "ringkasan": "Realisasi anggaran semester I."},
    {"judul": "Jadwal imunisasi", "opd": "Dinas Pendidikan", "kelas_dip": "serta_merta",
     "tanggal_target": "2026-11-27"},
]
STEP_1 = {"rencana_unggahan": PLAN, "arahan_kerja": "Unggah sebelum akhir bulan."}
STEP_2 = {
    "kelas_dip": "berkala",
    "ringkasan": "Ringkasan informasi publik.",
    "pejabat_penguasa": "Sekretaris Dinas",
    "penanggung_jawab": "Kepala Subbagian Program",
    "waktu_tempat_pembuatan": "Oktober 2026, Muara Sabak",
    "bentuk_informasi": "softcopy_dan_hardcopy",
    "jangka_waktu_penyimpanan": "5 tahun",
}
SESUAI = {
    "hasil_verifikasi": "sesuai",
    "cek_lengkap": True,
    "cek_akurat": True,
    "cek_klasifikasi": True,
    "cek_tidak_dikecualikan": True,
    "cek_layak_web": True,
}
STEP_4 = {"tautan_unggahan": f"{ADDRESS}/informasi/1"}
BELUM = {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": "Ringkasan belum lengkap."}
DISETUJUI = {"keputusan_persetujuan": "disetujui", "paraf_nama": "Fajar Alemsyah, S.E.",
             "paraf_nip": "198011222006041009"}
STEP_6 = {"tautan_publik": f"{ADDRESS}/informasi/1", "dapat_diakses": "ya", "tanggal_tayang": "2026-11-23"}
TIDAK_DAPAT_DIAKSES = {"tautan_publik": f"{ADDRESS}/informasi/1", "dapat_diakses": "tidak",
                       "alasan_tidak_diakses": "Halaman hanya tampil untuk admin yang masuk."}
PEMBANTU = {"Dinas Kesehatan": "pembantu.dinkes", "Dinas Pendidikan": "pembantu.disdik"}
ACTOR_OF_LANE = {"PPID Utama": "ppid.utama", "PLID Utama": "plid.utama"}


def open_tasks(ctx: EngineContext, instance_id: int, spec_id: str | None = None) -> list[WorkItem]:
    """Open tasks of a plan instance and of the item instances it started."""
    items = task_list.list_tasks(ctx, task_list.TaskFilter(plan_id=instance_id))
    return [item for item in items if spec_id is None or item.spec_id == spec_id]


def the_task(ctx: EngineContext, instance_id: int, spec_id: str, opd: str | None = None) -> WorkItem:
    matches = [t for t in open_tasks(ctx, instance_id, spec_id) if opd is None or t.opd == opd]
    assert len(matches) == 1, f"expected one open {spec_id} ({opd}), found {[(t.spec_id, t.opd) for t in matches]}"
    return matches[0]


def item_instance(ctx: EngineContext, plan_id: int, opd: str | None = None) -> Instance:
    """The publication instance that the plan started for the item of `opd` (the only one when None)."""
    with ctx.db.session() as session:
        children = session.scalars(select(Instance).where(Instance.parent_id == plan_id)).all()
    matches = [child for child in children if opd is None or child.opd == opd]
    assert len(matches) == 1, f"expected one item instance for {opd}, found {[c.opd for c in children]}"
    return matches[0]


def actor_for(item: WorkItem) -> str:
    return PEMBANTU[item.opd or ""] if item.lane == "PPID Pembantu" else ACTOR_OF_LANE[item.lane or ""]


def complete(ctx: EngineContext, item: WorkItem, data: dict[str, Any]) -> WorkItem:
    return instances.complete_task(ctx, item.id, data, actor_for(item))


def start_publication(ctx: EngineContext) -> Instance:
    return instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")


def start_with_plan(ctx: EngineContext, plan: list[dict[str, str]] | None = None) -> Instance:
    instance = start_publication(ctx)
    complete(ctx, the_task(ctx, instance.id, "Task_1_Arahan"), {**STEP_1, "rencana_unggahan": plan or PLAN})
    return instance


def publish_item(ctx: EngineContext, instance_id: int, opd: str) -> None:
    """Take one item from step 2 to step 6 with no loop."""
    for spec_id, data in (
        ("Task_2_Siapkan_Data", STEP_2),
        ("Task_3_Verifikasi", SESUAI),
        ("Task_4_Unggah", STEP_4),
        ("Task_5_Persetujuan", DISETUJUI),
        ("Task_6_Pastikan_Tayang", STEP_6),
    ):
        complete(ctx, the_task(ctx, instance_id, spec_id, opd), data)


ONE_ITEM_FLOW = [
    ("Task_1_Arahan", {**STEP_1, "rencana_unggahan": PLAN[:1]}),
    ("Task_2_Siapkan_Data", STEP_2),
    ("Task_3_Verifikasi", SESUAI),
    ("Task_4_Unggah", STEP_4),
    ("Task_5_Persetujuan", DISETUJUI),
    ("Task_6_Pastikan_Tayang", STEP_6),
]


def reach_step(ctx: EngineContext, step: int) -> tuple[int, WorkItem]:
    """An instance with a one-item plan whose open task is the given step (1 to 6)."""
    instance = start_publication(ctx)
    for spec_id, data in ONE_ITEM_FLOW[: step - 1]:
        complete(ctx, the_task(ctx, instance.id, spec_id), data)
    task = the_task(ctx, instance.id, ONE_ITEM_FLOW[step - 1][0])
    return task.instance_id, task
