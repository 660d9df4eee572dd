"""Start-up time of the `sopflow` command against its floor (importing what it cannot do without).

    .venv/bin/python benchmarks/cli_startup.py [--runs 10] [--root PATH]

Runs, interleaved, `runs` times each: the floor `python -c "import SpiffWorkflow.bpmn, sqlalchemy, lxml"`,
`sopflow validate bpmn/ppid_publikasi_item.bpmn` and `sopflow tasks` (on a fresh SQLite database with the demo
data and one publication started), each a new process; prints the median wall time of each and its ratio to
the floor's median. `--root` measures another checkout (e.g. the code before a change) with this Python.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = [sys.executable, "-c", "import SpiffWorkflow.bpmn, sqlalchemy, lxml"]
SOPFLOW = [sys.executable, "-c", "import sys; from webapp.cli import main; sys.exit(main())"]  # the entry point


def _run(command: list[str], env: dict[str, str], cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    root = args.root.resolve()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PYTHONPATH": str(root), "SOPFLOW_DATABASE_URL": f"sqlite:///{folder}/sopflow.db",
               "SOPFLOW_DEMO_PASSWORD": "benchmark-only"}
        subprocess.run([*SOPFLOW, "init", "--demo"], env=env, cwd=root, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*SOPFLOW, "start", "ppid_publikasi", "--as", "ppid.utama"], env=env, cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
        commands = {
            'python -c "import SpiffWorkflow.bpmn, sqlalchemy, lxml"': FLOOR,
            "sopflow validate bpmn/ppid_publikasi_item.bpmn": [*SOPFLOW, "validate", "bpmn/ppid_publikasi_item.bpmn"],
            "sopflow tasks": [*SOPFLOW, "tasks"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_run(command, env, root))
    floor = statistics.median(next(iter(times.values())))
    print(f"| command ({root}) | median of {args.runs} | × floor |")
    print("|---|---|---|")
    for name, measured in times.items():
        median = statistics.median(measured)
        print(f"| `{name}` | {median:.3f} s | {median / floor:.2f} |")


if __name__ == "__main__":
    main()
