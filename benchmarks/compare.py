"""Two trees side by side, interleaved: publications/s through the engine, the API completion p50 against its
floor, and SQL statements per publication. Each round runs one child process per tree, alternately, each with
that tree's code on its PYTHONPATH (the child's measuring code is this file, using only what both trees have).

    .venv/bin/python benchmarks/compare.py --base /work/wt/speed-base [--rounds 3] [--publications 30]

The floor of one completion: the same flow on bare SpiffWorkflow, in memory, timing per completion what the
engine must do at least (enter the data, run the task, step to the next waits, serialize the workflow).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
PYTHON = Path("/work/main/.venv/bin/python")


def _either(root: Path, module: str, before_the_packages: str) -> Any:
    """A module of the tree being measured: engine/ was grouped into packages (issue 13), a base may predate it.
    Decided by the tree's files: the editable install would find the other tree's package by name."""
    grouped = (root / Path(*module.split(".")[:-1])).is_dir()
    return importlib.import_module(module if grouped else before_the_packages)


def _child(root: Path, publications: int, completions: int) -> dict[str, float]:
    sys.path.insert(0, str(root))
    os.environ["SOPFLOW_INSTANCE_PATH"] = tempfile.mkdtemp()
    from sqlalchemy import event

    from benchmarks.engine import ACTORS, FLOW, engine_context, run_engine_instance
    from webapp import create_app

    create_token = _either(root, "engine.people.tokens", "engine.tokens").create_token
    instances = _either(root, "engine.runtime.instances", "engine.instances")
    task_list = _either(root, "engine.runtime.task_list", "engine.task_list")

    with tempfile.TemporaryDirectory() as workdir:
        ctx = engine_context(Path(workdir))
        statements = [0]

        def counted(*_: object) -> None:
            statements[0] += 1

        event.listen(ctx.db.engine, "before_cursor_execute", counted)
        for _ in range(5):
            run_engine_instance(ctx)
        statements[0] = 0
        cpu, started = time.process_time(), time.perf_counter()
        for _ in range(publications):
            run_engine_instance(ctx)
        rate = publications / (time.perf_counter() - started)
        cpu_ms = (time.process_time() - cpu) / publications * 1000
        per_publication = statements[0] / publications

        client = create_app(ctx, {"TESTING": True}).test_client()
        headers = {name: {"Authorization": f"Bearer {create_token(ctx, name, 'bench')}"} for name in ACTORS.values()}
        timings: list[float] = []
        cpu_timings: list[float] = []
        api_statements = 0
        while len(timings) < completions:
            plan = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
            for spec_id, data in FLOW:
                [task] = [t for t in task_list.list_tasks(ctx, task_list.TaskFilter(plan_id=plan.id))
                          if t.spec_id == spec_id]
                statements[0] = 0
                began, cpu = time.perf_counter(), time.process_time()
                answer = client.post(f"/api/v1/tasks/{task.id}/complete", json=data,
                                     headers=headers[ACTORS[task.lane or ""]])
                timings.append((time.perf_counter() - began) * 1000)
                cpu_timings.append((time.process_time() - cpu) * 1000)
                api_statements += statements[0]
                assert answer.status_code == 200, answer.get_data(as_text=True)
        ctx.db.dispose()
    floor_wall, floor_cpu = _floor_ms(root, completions)
    return {"publications_s": rate, "cpu_ms": cpu_ms, "statements": per_publication,
            "api_p50_ms": statistics.median(timings[len(FLOW):]),
            "api_cpu_p50_ms": statistics.median(cpu_timings[len(FLOW):]),
            "api_statements": api_statements / len(timings), "floor_p50_ms": floor_wall, "floor_cpu_p50_ms": floor_cpu}


def _floor_ms(root: Path, completions: int) -> tuple[float, float]:
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from benchmarks.engine import FLOW, PLAN, _StubServices

    specs = {}
    for process_id in ("ppid_publikasi", "ppid_publikasi_item"):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(root / "bpmn" / f"{process_id}.bpmn"))
        specs[process_id] = (parser.get_spec(process_id), parser.get_subprocess_specs(process_id))
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    timings: list[float] = []
    cpu_timings: list[float] = []
    while len(timings) < completions + len(FLOW):
        workflows = {"plan": BpmnWorkflow(*specs["ppid_publikasi"], script_engine=_StubServices()),
                     "item": BpmnWorkflow(*specs["ppid_publikasi_item"], script_engine=_StubServices())}
        start = workflows["item"].get_next_task(state=TaskState.READY)
        start.data["item"] = PLAN[0]
        for workflow in workflows.values():
            workflow.do_engine_steps()
        for spec_id, data in FLOW:
            workflow = workflows["plan" if spec_id == "Task_1_Arahan" else "item"]
            began, cpu = time.perf_counter(), time.process_time()
            [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                      if t.task_spec.bpmn_id == spec_id]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            serializer.serialize_json(workflow)
            timings.append((time.perf_counter() - began) * 1000)
            cpu_timings.append((time.process_time() - cpu) * 1000)
    return statistics.median(timings[len(FLOW):]), statistics.median(cpu_timings[len(FLOW):])


def _run(root: Path, publications: int, completions: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    answer = subprocess.run([str(PYTHON), str(HERE), "--child", str(root), "--publications", str(publications),
                             "--completions", str(completions)], env=env, cwd=root, capture_output=True,
                            text=True, check=False)
    if answer.returncode != 0:
        raise SystemExit(f"{root}: {answer.stderr[-3000:]}")
    result: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, default=Path("/work/wt/speed-base"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--publications", type=int, default=30)
    parser.add_argument("--completions", type=int, default=160)
    parser.add_argument("--child", type=Path)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(_child(args.child, args.publications, args.completions)))
        return
    trees = {"base": args.base.resolve(), "new": HERE.parent.parent}
    results: dict[str, list[dict[str, Any]]] = {"base": [], "new": []}
    print("round tree  pub/s  CPU ms/pub  stmts/pub  API p50 ms  floor p50 ms  API/floor  "
          "API CPU p50  floor CPU p50  CPU ratio  stmts/API completion")
    for round_no in range(1, args.rounds + 1):
        for name, root in trees.items():
            r = _run(root, args.publications, args.completions)
            results[name].append(r)
            print(f"{round_no:5} {name:4} {r['publications_s']:6.1f} {r['cpu_ms']:10.1f} {r['statements']:10.1f} "
                  f"{r['api_p50_ms']:11.2f} {r['floor_p50_ms']:13.2f} {r['api_p50_ms'] / r['floor_p50_ms']:10.2f} "
                  f"{r['api_cpu_p50_ms']:12.2f} {r['floor_cpu_p50_ms']:13.2f} "
                  f"{r['api_cpu_p50_ms'] / r['floor_cpu_p50_ms']:10.2f} {r['api_statements']:11.1f}", flush=True)
    base_rate = statistics.median(r["publications_s"] for r in results["base"])
    new_rate = statistics.median(r["publications_s"] for r in results["new"])
    new_ratio = statistics.median(r["api_p50_ms"] / r["floor_p50_ms"] for r in results["new"])
    base_cpu = statistics.median(r["cpu_ms"] for r in results["base"])
    new_cpu = statistics.median(r["cpu_ms"] for r in results["new"])
    print(f"medians: publications/s base {base_rate:.1f}, new {new_rate:.1f} ({new_rate / base_rate:.2f}x, "
          f"target >= 3x); CPU ms per publication base {base_cpu:.1f}, new {new_cpu:.1f} "
          f"({base_cpu / new_cpu:.2f}x); new API completion {new_ratio:.2f}x its floor (target <= 3x)")


if __name__ == "__main__":
    main()
