"""Page times as the data grows: the PLID Utama inbox, the API task list, a task page, a published item's page,
the publications list and its page halfway down ("deep"), each the median of `--requests` requests through the
Flask test client (CPU time of the process, which holds SQLite too, so that other work on a shared machine does
not count; wall clock beside it), at 1k / 10k / 100k stored items, for this tree and a base tree in the same run.

    .venv/bin/python benchmarks/pages.py [--sizes 1000,10000,100000] [--base /work/wt/pages-base] [--requests 30]

Each (tree, size) runs in its own process with that tree first on sys.path, on a fresh SQLite database in a
temporary directory. Items are seeded quickly: the engine runs one one-item plan to each stage (open at step 2, 3,
4, 5 or 6, or published after one Belum sesuai loop), then bulk Core inserts clone those rows (plan and item
instances, work items, events with their case-file data) with new ids, offices and deadlines: per 100 items 18 open
in PLID Utama's lane (6 each at steps 3, 4 and 6), 10 at step 2, 5 at step 5, 67 published. Also prints the bytes
a published item keeps (its instance row's workflow state, and the database file per item).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
PAGES = ("inbox", "api_tasks", "task", "item", "publications", "deep")
MIX = [("Task_3_Verifikasi", 6), ("Task_4_Unggah", 6), ("Task_6_Pastikan_Tayang", 6), ("Task_2_Siapkan_Data", 10),
       ("Task_5_Persetujuan", 5), (None, 67)]  # per 100 items: the open step, None for published
OFFICES = ["Dinas Kesehatan", "Dinas Pendidikan", "Dinas PUPR", "Bappeda", "Dinas Sosial"]
PLAN_SIZE = 10  # items per cloned plan


def child(tree: Path, size: int, requests: int) -> dict[str, Any]:  # noqa: PLR0915  (one linear script)
    from sqlalchemy import func, insert, select

    from engine import schema
    from engine.clock import ManualClock
    from engine.config import load_settings
    from engine.context import EngineContext
    from engine.diagrams import definitions
    from engine.people import offices, tokens, users
    from engine.runtime import instances, task_list
    from engine.store import Event, Instance, WorkItem
    from handlers import HANDLERS
    from tests.engine.flow import BELUM, DISETUJUI, PLAN, SESUAI, STEP_1, STEP_2, STEP_4, STEP_6
    from tests.webapp.conftest import login
    from tests.website import with_website
    from webapp import create_app

    flow = [("Task_1_Arahan", {**STEP_1, "rencana_unggahan": PLAN[:1]}), ("Task_2_Siapkan_Data", STEP_2),
            ("Task_3_Verifikasi", BELUM), ("Task_2_Siapkan_Data", STEP_2), ("Task_3_Verifikasi", SESUAI),
            ("Task_4_Unggah", STEP_4), ("Task_5_Persetujuan", DISETUJUI), ("Task_6_Pastikan_Tayang", STEP_6)]
    actors = {"PPID Utama": "ppid.utama", "PLID Utama": "plid.utama", "PPID Pembantu": "pembantu.dinkes"}
    workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    schema.upgrade(url)
    settings = with_website(load_settings(tree / "config.yaml", environ={"SOPFLOW_DATABASE_URL": url}))
    clock = ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    ctx = EngineContext.create(settings, clock=clock, handlers=HANDLERS)
    definitions.deploy_directory(ctx, tree / "bpmn", "bench")
    for office in OFFICES:
        offices.add_office(ctx, office)
    for username, role, opd in (("ppid.utama", "ppid_utama", None), ("plid.utama", "plid_utama", None),
                                ("pembantu.dinkes", "ppid_pembantu", "Dinas Kesehatan")):
        users.create_user(ctx, username, "benchmark-pw-123", [role], username, f"{username}@bench.example", opd)

    templates: dict[str | None, tuple[int, int]] = {}  # open step -> (plan id, item id)
    for stop, _share in MIX:
        plan = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
        for spec_id, data in flow:
            [task] = [t for t in task_list.list_tasks(ctx, task_list.TaskFilter(plan_id=plan.id))
                      if t.spec_id == spec_id]
            if spec_id == stop:
                break
            instances.complete_task(ctx, task.id, data, actors[task.lane or ""])
            clock.advance(timedelta(minutes=5))
        with ctx.db.session() as session:
            item_id = session.scalars(select(Instance.id).where(Instance.parent_id == plan.id)).one()
        templates[stop] = (plan.id, item_id)

    def rows(session: Any, model: Any, *where: Any) -> list[dict[str, Any]]:
        return [{c.key: getattr(r, c.key) for c in model.__table__.columns}
                for r in session.scalars(select(model).where(*where).order_by(model.id))]

    with ctx.db.session() as session:
        shapes = {}
        for stop, (plan_id, item_id) in templates.items():
            shapes[stop] = {
                "plan": rows(session, Instance, Instance.id == plan_id)[0],
                "plan_events": rows(session, Event, Event.instance_id == plan_id),
                "item": rows(session, Instance, Instance.id == item_id)[0],
                "events": rows(session, Event, Event.instance_id == item_id),
                "work": rows(session, WorkItem, WorkItem.instance_id == item_id),
                "plan_work": rows(session, WorkItem, WorkItem.instance_id == plan_id),
            }
        finished_state = len(shapes[None]["item"]["state"] or "")
    order = [stop for stop, share in MIX for _ in range(share)]

    def task_id(n: int, old: str) -> str:
        return f"{n:08x}{old[8:]}"

    started = time.perf_counter()
    existing = 2 * len(MIX)
    with ctx.db.session() as session:
        for first in range(existing, size, 1000):
            batch = range(first, min(first + 1000, size))
            plans, items, work, events = [], [], [], []
            for n in batch:
                shape = shapes[order[n % 100]]
                if n % PLAN_SIZE == 0 or not plans:
                    plans.append({**shape["plan"], "id": None})
                items.append((n, shape))
            plan_ids = session.execute(insert(Instance).returning(Instance.id),
                                       [{k: v for k, v in p.items() if k != "id"} for p in plans]).scalars().all()
            item_rows = []
            for n, shape in items:
                opd = OFFICES[n % len(OFFICES)]
                shift = timedelta(minutes=(n * 7) % 5000 - 2500)  # some overdue, some not
                row = {k: v for k, v in shape["item"].items() if k != "id"}
                row.update(parent_id=plan_ids[(n - first) // PLAN_SIZE], opd=opd, title=f"Informasi {n}",
                           due_at=row["due_at"] + shift if row["due_at"] else None)
                item_rows.append(row)
            item_ids = session.execute(insert(Instance).returning(Instance.id), item_rows).scalars().all()
            for (n, shape), instance_id, row in zip(items, item_ids, item_rows, strict=True):
                shift = timedelta(minutes=(n * 7) % 5000 - 2500)
                for w in shape["work"]:
                    work.append({**w, "id": task_id(n, w["id"]), "instance_id": instance_id, "opd": row["opd"],
                                 "item_label": row["title"], "due_at": w["due_at"] + shift if w["due_at"] else None})
                for e in shape["events"]:
                    events.append({**{k: v for k, v in e.items() if k != "id"}, "instance_id": instance_id,
                                   "task_id": task_id(n, e["task_id"]) if e["task_id"] else None})
            session.execute(insert(WorkItem), work)
            session.execute(insert(Event), events)
    seeded_s = time.perf_counter() - started

    with ctx.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Instance).where(Instance.parent_id.is_not(None)))
        open_plid = session.scalar(select(func.count()).select_from(WorkItem).where(
            WorkItem.lane == "PLID Utama", WorkItem.status.in_(("ready", "claimed"))))
        task = session.scalars(select(WorkItem.id).where(WorkItem.spec_id == "Task_3_Verifikasi",
                                                         WorkItem.status == "ready").order_by(WorkItem.id.desc())
                               .limit(1)).one()
        published = session.scalars(select(Instance.id).where(Instance.status == "completed",
                                                              Instance.parent_id.is_not(None))
                                    .order_by(Instance.id.desc()).limit(1)).one()
        everything = session.scalar(select(func.count()).select_from(Instance)) or 0
        middle = session.scalars(select(Instance.id).order_by(Instance.id.desc()).offset(everything // 2)
                                 .limit(1)).one()
    from engine.runtime.inbox import InstanceQuery
    # The page halfway down the list: after its first row's newer neighbour (keyset), or by number (offset).
    deep = (f"/instances?after={middle + 1}" if "after" in InstanceQuery.__dataclass_fields__
            else f"/instances?page={everything // 2 // 25 + 1}")
    token = tokens.create_token(ctx, "plid.utama", "bench")
    app = create_app(ctx, {"TESTING": True})
    os.environ.setdefault("SOPFLOW_INSTANCE_PATH", str(workdir / "instance"))
    client = app.test_client()
    login(client, "plid.utama", "benchmark-pw-123")
    api = app.test_client()
    paths = {"inbox": (client, "/tasks"), "api_tasks": (api, "/api/v1/tasks"), "task": (client, f"/tasks/{task}"),
             "item": (client, f"/instances/{published}"), "publications": (client, "/instances"),
             "deep": (client, deep)}
    headers = {"Authorization": f"Bearer {token}"}
    result: dict[str, Any] = {"size": stored, "open_plid": open_plid, "seed_s": round(seeded_s, 1),
                              "finished_state_bytes": finished_state,
                              "db_bytes_per_item": round(Path(workdir / "bench.db").stat().st_size / stored)}
    for name in PAGES:
        who, path = paths[name]
        times, cpu = [], []
        for attempt in range(requests + 3):
            begun, begun_cpu = time.perf_counter(), time.process_time()
            response = who.get(path, headers=headers if who is api else None)
            elapsed, elapsed_cpu = (time.perf_counter() - begun) * 1000, (time.process_time() - begun_cpu) * 1000
            assert response.status_code == 200, (name, response.status_code, response.get_data(as_text=True)[:300])
            if attempt >= 3:
                times.append(elapsed)
                cpu.append(elapsed_cpu)
        result[name] = round(statistics.median(cpu), 2)
        result[f"{name}_wall"] = round(statistics.median(times), 2)
    ctx.db.dispose()
    shutil.rmtree(workdir)
    return result


def run(tree: Path, size: int, requests: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "SOPFLOW_INSTANCE_PATH": tempfile.mkdtemp(prefix="pages-inst-")}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(size), "--tree", str(tree),
                           "--requests", str(requests)], env=env, cwd=tree, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree} at {size}: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--child", type=int, default=None)
    parser.add_argument("--tree", type=Path, default=HERE)
    args = parser.parse_args()
    if args.child is not None:
        sys.path.insert(0, str(args.tree))
        print(json.dumps(child(args.tree, args.child, args.requests)))
        return
    trees = [("new", HERE)] + ([("base", args.base)] if args.base else [])
    print("Median ms per request, CPU time of the serving process (wall clock in brackets; the box is shared)")
    print(f"{'tree':5} {'items':>7} {'PLID open':>9} " + " ".join(f"{p:>17}" for p in PAGES)
          + "  state B/finished item  DB B/item")
    for size in (int(s) for s in args.sizes.split(",")):
        for label, tree in trees:
            r = run(tree, size, args.requests)
            cells = " ".join(f"{r[p]:>7.2f} ({r[p + '_wall']:>7.2f})" for p in PAGES)
            print(f"{label:5} {r['size']:>7} {r['open_plid']:>9} {cells}"
                  + f"  {r['finished_state_bytes']:>22} {r['db_bytes_per_item']:>10}", flush=True)


if __name__ == "__main__":
    main()
