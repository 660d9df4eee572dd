"""SQL statements and CPU time per publication (a one-item plan with one Belum sesuai loop: start and 8
completions, the flow of benchmarks/engine.py), to compare two trees side by side on a noisy machine:

    .venv/bin/python benchmarks/statements.py [--publications 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.engine import engine_context, run_engine_instance  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publications", type=int, default=100)
    count = parser.parse_args().publications
    with tempfile.TemporaryDirectory() as workdir:
        ctx = engine_context(Path(workdir))
        statements = [0]

        def counted(*_: object) -> None:
            statements[0] += 1

        event.listen(ctx.db.engine, "before_cursor_execute", counted)
        for _ in range(10):  # warm: parsed diagrams, compiled statements
            run_engine_instance(ctx)
        statements[0] = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            run_engine_instance(ctx)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        ctx.db.dispose()
    print(f"{statements[0] / count:.1f} statements, {cpu / count * 1000:.1f} ms CPU, "
          f"{wall / count * 1000:.1f} ms wall per publication")


if __name__ == "__main__":
    main()
