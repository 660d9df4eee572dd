"""benchmarks/web.py on PostgreSQL with 1, then 2 app processes: completions/s of the same closed loop.

    .venv/bin/python benchmarks/processes.py [--clients 20] [--tasks 10] [--threads 8] [--processes 1 2]

Starts a throwaway PostgreSQL server (as the tests do), and for each process count a fresh database
(`sopflow init --demo`, one PPID Pembantu and token per client, plans started through the engine), that many
`sopflow serve --no-scheduler` processes on their own ports, and the clients spread over them in turn.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.web import (  # noqa: E402
    SOPFLOW,
    Client,
    completed_step_2,
    free_port,
    percentile,
    plan_rounds,
    plans_through_engine,
    prepare,
    wait_until_up,
)
from tests.pg_server import postgres_server  # noqa: E402


def run(server_url: str, processes: int, args: argparse.Namespace, round_number: int) -> str:
    name = f"bench_{round_number}_{processes}"
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    env = {**os.environ, "SOPFLOW_DATABASE_URL": f"{server_url}/{name}", "PYTHONPATH": str(ROOT),
           "SOPFLOW_SECRET_KEY": "benchmark"}
    ctx, offices, tokens = prepare(env, args.clients)
    plans_through_engine(ctx, plan_rounds(offices, args.tasks + 1))
    ctx.db.dispose()
    ports = [free_port() for _ in range(processes)]
    servers = [subprocess.Popen([*SOPFLOW, "serve", "--no-scheduler", "--port", str(port), "--threads",
                                 str(args.threads)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
               for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_until_up(port, server)
        clients = [Client(ports[n % processes], token, False, 0.0, n) for n, token in enumerate(tokens)]
        start = threading.Barrier(len(clients) + 1)
        deadline = time.perf_counter() + 300
        threads = [threading.Thread(target=c.run, args=(start, deadline), daemon=True) for c in clients]
        for thread in threads:
            thread.start()
        start.wait(timeout=120)
        began = time.perf_counter()
        for thread in threads:
            thread.join(timeout=360)
        wall = time.perf_counter() - began
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
    completions = [t for c in clients for t in c.completions]
    failures = [f for c in clients for f in c.failures]
    recorded = completed_step_2(env["SOPFLOW_DATABASE_URL"])
    return (f"{processes} app process(es): {len(completions)} completions in {wall:.2f} s = "
            f"{len(completions) / wall:.1f}/s, p50 {percentile(completions, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(completions, 0.95) * 1000:.1f} ms; recorded {recorded}, answered "
            f"{sum(c.done for c in clients)}; failures {len(failures)}" + (f" ({failures[0]})" if failures else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"load average before {os.getloadavg()[0]:.2f}", flush=True)
    with postgres_server() as server_url:
        for round_number, processes in enumerate(args.processes):
            print(run(server_url, processes, args, round_number), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
