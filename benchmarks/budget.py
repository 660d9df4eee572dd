"""Where a publication's CPU goes, against what three times the base's speed would allow (issue 14 §1).

    .venv/bin/python benchmarks/budget.py [--publications 100] [--rounds 5] [--base /work/wt/speed-base]

Per publication (the flow of benchmarks/engine.py: a one-item plan, then 7 completions on the item), CPU ms:
(a) the engine, persisted on SQLite;
(b) SpiffWorkflow alone: both workflows kept in memory, each change entered, run, stepped and serialized as the
    engine serializes it (`engine.runtime.spiff.dump_workflow`);
(c) the same publication's SQL on the bare sqlite3 driver: every statement with the values the engine sent, in
    the same transactions, replayed on a copy of the database taken before it (checked: same rows afterwards);
(c') the same statements through SQLAlchemy's Connection as SQL text: the least SQLAlchemy adds to them;
(d) a - b - c: what SQLAlchemy and the engine's own code cost around them;
(e) a - b - c': what the ORM, compiling statements and the engine's own code cost.
With --base, the base tree's (a) is measured between the rounds (interleaved) and the aim, a third of it, printed.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import compare  # noqa: E402
from benchmarks.engine import (  # noqa: E402
    FLOW,
    PLAN,
    _StubServices,
    diagram_specs,
    engine_context,
    engine_rate,
    run_engine_instance,
)
from engine.database import Database  # noqa: E402
from engine.runtime.spiff import dump_workflow  # noqa: E402

Transaction = list[tuple[str, Any]]


def spiff_alone_ms(count: int) -> float:
    specs = diagram_specs()
    started = time.process_time()
    for _ in range(count):
        workflows = {name: BpmnWorkflow(*specs[process_id], script_engine=_StubServices())
                     for name, process_id in (("plan", "ppid_publikasi"), ("item", "ppid_publikasi_item"))}
        workflows["item"].get_next_task(state=TaskState.READY).data["item"] = PLAN[0]
        for workflow in workflows.values():
            workflow.do_engine_steps()
            dump_workflow(workflow)
        for spec_id, data in FLOW:
            workflow = workflows["plan" if spec_id == "Task_1_Arahan" else "item"]
            [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                      if t.task_spec.bpmn_id == spec_id]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            dump_workflow(workflow)
        assert workflows["item"].is_completed()
    return (time.process_time() - started) / count * 1000


def captured_publication(workdir: Path) -> tuple[Path, list[Transaction], dict[str, int]]:
    """A copy of a warm database, one publication's statements as the driver received them, and the row counts
    after it."""
    workdir.mkdir()
    ctx = engine_context(workdir)
    for _ in range(5):
        run_engine_instance(ctx)
    before = workdir / "before.db"
    _copy(workdir / "bench.db", before)
    transactions: list[Transaction] = [[]]

    def executed(cursor: Any, statement: str, parameters: Any = (), context: Any = None) -> None:
        transactions[-1].append((statement, parameters))

    for name in ("do_execute", "do_execute_no_params"):
        event.listen(ctx.db.engine, name, executed)
    event.listen(ctx.db.engine, "do_executemany",
                 lambda cursor, statement, rows, context: transactions[-1].append((statement, ("many", rows))))
    event.listen(ctx.db.engine, "commit", lambda connection: transactions.append([]))
    run_engine_instance(ctx)
    ctx.db.dispose()
    return before, [t for t in transactions if t], _counts(workdir / "bench.db")


def _copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def _counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


def _fresh_copy(before: Path) -> Path:
    target = before.with_name("replay.db")
    for leftover in (target, target.with_name("replay.db-wal"), target.with_name("replay.db-shm")):
        leftover.unlink(missing_ok=True)
    _copy(before, target)
    return target


def _is_many(parameters: Any) -> bool:
    return isinstance(parameters, tuple) and parameters[:1] == ("many",)


def replay_ms(before: Path, transactions: list[Transaction], expected: dict[str, int]) -> float:
    """(c): the statements on the bare driver."""
    target = _fresh_copy(before)
    connection = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    started = time.process_time()
    for transaction in transactions:
        connection.execute("BEGIN")
        for statement, parameters in transaction:
            if _is_many(parameters):
                connection.executemany(statement, parameters[1])
            else:
                connection.execute(statement, parameters).fetchall()
        connection.execute("COMMIT")
    took = (time.process_time() - started) * 1000
    connection.close()
    assert _counts(target) == expected, "the replay did not write what the engine wrote"
    return took


def replay_core_ms(before: Path, transactions: list[Transaction], expected: dict[str, int]) -> float:
    """(c'): the same statements through SQLAlchemy's Connection, as SQL text (nothing compiled, no ORM): the
    least SQLAlchemy can add to them."""
    target = _fresh_copy(before)
    database = Database(f"sqlite:///{target}")
    with database.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1").all()  # the pool's connection opened outside the timing
        connection.rollback()
        started = time.process_time()
        for transaction in transactions:
            with connection.begin():
                for statement, parameters in transaction:
                    if _is_many(parameters):
                        connection.exec_driver_sql(statement, list(parameters[1]))
                    else:
                        result = connection.exec_driver_sql(statement, tuple(parameters))
                        if result.returns_rows:
                            result.all()
        took = (time.process_time() - started) * 1000
    database.dispose()
    assert _counts(target) == expected, "the replay did not write what the engine wrote"
    return took


def engine_ms(workdir: Path, count: int) -> float:
    ctx = engine_context(workdir)
    rate = engine_rate(ctx, count, time.process_time)
    ctx.db.dispose()
    return 1000 / rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publications", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", type=Path)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"base": [], "a": [], "b": [], "c": [], "c'": []}
    with tempfile.TemporaryDirectory() as workdir:
        before, transactions, expected = captured_publication(Path(workdir) / "capture")
        statements = sum(len(t) for t in transactions)
        for round_no in range(1, args.rounds + 1):
            if args.base is not None:
                rows["base"].append(compare._run(args.base.resolve(), args.publications, 16)["cpu_ms"])
            with tempfile.TemporaryDirectory() as engine_dir:
                rows["a"].append(engine_ms(Path(engine_dir), args.publications))
            rows["b"].append(spiff_alone_ms(args.publications))
            rows["c"].append(statistics.median(replay_ms(before, transactions, expected) for _ in range(20)))
            rows["c'"].append(statistics.median(replay_core_ms(before, transactions, expected) for _ in range(20)))
            print(f"round {round_no}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in rows.items() if v), flush=True)
    a, b, c, c_core = (statistics.median(rows[k]) for k in ("a", "b", "c", "c'"))
    lines = [("(a) the engine on SQLite", a), ("(b) SpiffWorkflow alone, in memory", b),
             ("(c) its SQL on the bare sqlite3 driver", c),
             ("(c') the same SQL through SQLAlchemy's Connection", c_core),
             ("(d) SQLAlchemy and the engine's own code, a - b - c", a - b - c),
             ("(e) the ORM, compiling statements and the engine's own code, a - b - c'", a - b - c_core)]
    print(f"CPU ms per publication, medians of {args.rounds} rounds ({statements} statements in "
          f"{len(transactions)} transactions):")
    for text, value in lines:
        print(f"{text:74} {value:6.2f}")
    if rows["base"]:
        aim = statistics.median(rows["base"]) / 3
        print(f"the base: {statistics.median(rows['base']):.2f}; the aim, a third of it: {aim:.2f}, which leaves "
              f"{aim - b - c_core:.2f} for (e)")


if __name__ == "__main__":
    main()
