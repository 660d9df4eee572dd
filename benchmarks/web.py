"""Concurrent API clients completing tasks against the app under its production server (waitress).

    .venv/bin/python benchmarks/web.py [--clients 20] [--tasks 15] [--threads 8] [--claim] [--think-ms 0] [--warm]

A fresh SQLite database in a temporary directory (`sopflow init --demo`), one PPID Pembantu user and token
per client, each of its own office, and `--tasks` + 1 step-2 tasks per office, so clients never fight over a
task: plans with one item per office, started and their step 1 completed through the engine API before the
server starts (cold workflow cache), or with --warm through the API on the running server (warm cache).
The server is a subprocess running what `sopflow serve --no-scheduler` runs (webapp.cli.cmd_serve: waitress
on 127.0.0.1). Then `--clients` threads, each with one keep-alive HTTP/1.1 connection, repeat: list the
caller's unclaimed tasks, [claim,] complete the first with the step's data. The first round of each client
is a warm-up and not counted. Prints p50/p95 of the completion requests (and of the listings) and
completions per second over the measured rounds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.config import load_settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people import users  # noqa: E402
from engine.people.offices import add_office  # noqa: E402
from engine.people.tokens import create_token  # noqa: E402
from engine.runtime import instances, task_list  # noqa: E402
from handlers import HANDLERS  # noqa: E402
from tests.engine.flow import STEP_1, STEP_2  # noqa: E402

SOPFLOW = [sys.executable, "-c", "import sys; from webapp.cli import main; sys.exit(main())"]
SERVE = [sys.executable, str(Path(__file__).resolve()), "--serve"]
PLAN_ITEM = {"kelas_dip": "berkala", "tanggal_target": "2099-12-31", "ringkasan": "Data untuk uji beban."}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def plan_rounds(offices: list[str], rounds: int) -> list[list[dict[str, str]]]:
    """`rounds` plans, each with one item per office."""
    return [[{"judul": f"Informasi {office} #{number}", "opd": office, **PLAN_ITEM} for office in offices]
            for number in range(1, rounds + 1)]


def prepare(env: dict[str, str], clients: int) -> tuple[EngineContext, list[str], list[str]]:
    """A fresh database with one PPID Pembantu user per client, each of their own office, and their tokens."""
    subprocess.run([*SOPFLOW, "init", "--demo"], env=env, check=True, capture_output=True, cwd=ROOT)
    settings = load_settings(ROOT / "config.yaml", environ={"SOPFLOW_DATABASE_URL": env["SOPFLOW_DATABASE_URL"]})
    ctx = EngineContext.create(settings, handlers=HANDLERS)
    offices = [f"Dinas Uji {n:02d}" for n in range(1, clients + 1)]
    tokens = []
    for n, office in enumerate(offices, start=1):
        add_office(ctx, office)
        username = f"pembantu.uji{n:02d}"
        users.create_user(ctx, username, "benchmark-pw", ["ppid_pembantu"], f"PPID Pembantu {office}",
                          f"{username}@bench.example", office)
        tokens.append(create_token(ctx, username, "benchmark"))
    return ctx, offices, tokens


def plans_through_engine(ctx: EngineContext, plans: list[list[dict[str, str]]]) -> None:
    """Before the server starts: its workflow cache is cold, every first completion deserializes."""
    for items in plans:
        instance = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
        [step_1] = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance.id))
        instances.complete_task(ctx, step_1.id, {**STEP_1, "rencana_unggahan": items}, "ppid.utama")


def plans_through_api(port: int, token: str, plans: list[list[dict[str, str]]]) -> None:
    """On the running server, as PPID Utama would: the item workflows are then live in its cache."""
    client = Client(port, token, claim=False, think=0.0)
    for items in plans:
        status, started, _ = client.call("POST", "/instances", {"process": "ppid_publikasi"})
        assert status == 201, started
        [step_1] = started["open_tasks"]
        status, done, _ = client.call("POST", f"/tasks/{step_1['id']}/complete",
                                      {**STEP_1, "rencana_unggahan": items})
        assert status == 200, done
    client.connection.close()


@dataclass
class Client:
    """One API client: a keep-alive connection and the latencies it saw."""

    port: int
    token: str
    claim: bool
    think: float
    seed: int = 0
    done: int = 0
    completions: list[float] = field(default_factory=list)
    listings: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pause = random.Random(self.seed).uniform  # paced clients drift apart instead of marching in step
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        payload = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        self.connection.request(method, "/api/v1" + path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        took = time.perf_counter() - started
        return response.status, json.loads(data) if data else None, took

    def one_round(self, measured: bool) -> bool:
        """List, [claim,] complete; False when no task is left."""
        status, listing, took = self.call("GET", "/tasks?scope=unclaimed&per_page=5")
        if status != 200:
            self.failures.append(f"list {status}: {listing}")
            return False
        if measured:
            self.listings.append(took)
        if not listing["items"]:
            return False
        task_id = listing["items"][0]["id"]
        if self.claim:
            status, answer, took = self.call("POST", f"/tasks/{task_id}/claim")
            if status != 200:
                self.failures.append(f"claim {status}: {answer}")
                return False
        status, answer, took = self.call("POST", f"/tasks/{task_id}/complete", STEP_2)
        if status != 200:
            self.failures.append(f"complete {status}: {answer}")
            return False
        self.done += 1
        if measured:
            self.completions.append(took)
        if self.think:
            time.sleep(self.pause(0.5, 1.5) * self.think)
        return True

    def run(self, start: threading.Barrier, deadline: float) -> None:
        try:
            self.one_round(measured=False)
            start.wait()
            if self.think:
                time.sleep(self.pause(0.0, 1.0) * self.think)
            while time.perf_counter() < deadline and self.one_round(measured=True):
                pass
        except (OSError, http.client.HTTPException) as error:
            self.failures.append(f"{type(error).__name__}: {error}")
        finally:
            self.connection.close()


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/openapi.json")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not come up")


def completed_step_2(database_url: str) -> int:
    """Completed step-2 tasks as the database records them, to check that nothing was lost or doubled."""
    from sqlalchemy import func, select

    from engine.database import Database
    from engine.store import WorkItem

    database = Database(database_url)
    with database.session() as session:
        count = session.scalar(select(func.count()).select_from(WorkItem).where(
            WorkItem.spec_id == "Task_2_Siapkan_Data", WorkItem.status == "completed"))
    database.dispose()
    return int(count or 0)


def serve(port: int, threads: int) -> None:
    """The server process: what `sopflow serve --no-scheduler` runs (webapp.cli.cmd_serve), on 127.0.0.1."""
    from webapp.cli import cmd_serve

    ctx = EngineContext.create(load_settings(ROOT / "config.yaml"), handlers=HANDLERS)
    cmd_serve(ctx, argparse.Namespace(host="127.0.0.1", port=port, threads=threads, no_scheduler=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20, help="concurrent API clients (max 200)")
    parser.add_argument("--tasks", type=int, default=15, help="measured completions per client (max 200)")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--claim", action="store_true", help="claim each task before completing it")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause of each client after a completion (uniform 0.5x to 1.5x; 0: closed loop)")
    parser.add_argument("--warm", action="store_true",
                        help="start the plans through the API on the running server (its workflow cache is warm)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="stop measuring after this long")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.threads)
        return 0
    if not (1 <= args.clients <= 200 and 1 <= args.tasks <= 200):
        parser.error("--clients and --tasks must be between 1 and 200")

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sopflow-web-bench-") as workdir:
        env = {**os.environ, "SOPFLOW_DATABASE_URL": f"sqlite:///{Path(workdir) / 'bench.db'}",
               "SOPFLOW_INSTANCE_PATH": str(Path(workdir) / "instance"), "PYTHONPATH": str(ROOT)}
        ctx, offices, tokens = prepare(env, args.clients)
        plans = plan_rounds(offices, args.tasks + 1)
        setup_started = time.perf_counter()
        if not args.warm:
            plans_through_engine(ctx, plans)
        utama_token = create_token(ctx, "ppid.utama", "benchmark")
        ctx.db.dispose()
        port = free_port()
        log_path = Path(workdir) / "server.log"
        log = log_path.open("wb")
        server = subprocess.Popen([*SERVE, str(port), "--threads", str(args.threads)],
                                  env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(port, server)
            if args.warm:
                plans_through_api(port, utama_token, plans)
            setup_seconds = time.perf_counter() - setup_started
            clients = [Client(port, token, args.claim, args.think_ms / 1000, seed)
                       for seed, token in enumerate(tokens)]
            start = threading.Barrier(len(clients) + 1)
            deadline = time.perf_counter() + args.max_seconds
            threads = [threading.Thread(target=c.run, args=(start, deadline), daemon=True) for c in clients]
            for thread in threads:
                thread.start()
            start.wait(timeout=120)
            began = time.perf_counter()
            for thread in threads:
                thread.join(timeout=args.max_seconds + 60)
            wall = time.perf_counter() - began
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
            server_log = log_path.read_text(encoding="utf-8", errors="replace")
        recorded = completed_step_2(env["SOPFLOW_DATABASE_URL"])

    completions = [t for c in clients for t in c.completions]
    listings = [t for c in clients for t in c.listings]
    failures = [f for c in clients for f in c.failures]
    answered = sum(c.done for c in clients)
    if recorded != answered:
        failures.append(f"the database records {recorded} completed step-2 tasks, the clients got {answered}")
    ms = 1000.0
    print(f"clients {args.clients}, waitress threads {args.threads}, claim {'yes' if args.claim else 'no'}, "
          f"think {args.think_ms:g} ms, plans via {'API (warm cache)' if args.warm else 'engine (cold cache)'}; "
          f"plans ready in {setup_seconds:.1f} s; load average before {load_before:.2f}")
    print(f"completions: {len(completions)} in {wall:.2f} s = {len(completions) / wall:.1f}/s")
    if completions:
        print(f"completion latency: p50 {percentile(completions, 0.5) * ms:.1f} ms, "
              f"p95 {percentile(completions, 0.95) * ms:.1f} ms, max {max(completions) * ms:.1f} ms")
    if listings:
        print(f"task listing latency: p50 {percentile(listings, 0.5) * ms:.1f} ms, "
              f"p95 {percentile(listings, 0.95) * ms:.1f} ms")
    print(f"completed step-2 tasks recorded: {recorded} (warm-up included), answered 200: {answered}")
    print(f"failures: {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))
    if failures:
        print("server log (last lines):", *server_log.splitlines()[-30:], sep="\n  ")
    return 1 if failures or not completions else 0


if __name__ == "__main__":
    sys.exit(main())
