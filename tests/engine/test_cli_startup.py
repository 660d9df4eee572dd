"""The `sopflow` command imports only what a subcommand uses: `validate` and `tasks` load neither the web stack
(Flask, Jinja, Werkzeug) nor the PDF one (WeasyPrint), and `validate` not even the database models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

WEB_AND_PDF = ("flask", "flask_babel", "flask_login", "flask_wtf", "jinja2", "werkzeug", "weasyprint", "waitress")
PROBE = """
import json, sys
from webapp.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted({name.split(".")[0] for name in sys.modules}),
                  "engine": sorted(name for name in sys.modules if name.startswith("engine."))}))
"""


def _loaded(tmp_path: Path, *args: str) -> tuple[int, set[str], set[str]]:
    """The command's exit status, the top-level packages and the engine modules it imported."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOPFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'sopflow.db'}"}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=True)
    loaded = json.loads(done.stdout.splitlines()[-1])
    return int(loaded["status"]), set(loaded["modules"]), set(loaded["engine"])


def test_validate_loads_no_web_pdf_or_database_model_code(tmp_path: Path) -> None:
    status, packages, engine = _loaded(tmp_path, "validate", "bpmn/ppid_publikasi_item.bpmn")
    assert status == 0
    assert not set(WEB_AND_PDF) & packages
    assert not {"argon2", "apscheduler", "holidays"} & packages
    assert not {"engine.store", "engine.runtime.execution", "engine.context"} & engine


def test_tasks_loads_no_web_or_pdf_code(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOPFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'sopflow.db'}"}
    subprocess.run([sys.executable, "-c", "import sys; from webapp.cli import main; sys.exit(main(['init']))"],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    status, packages, _ = _loaded(tmp_path, "tasks")
    assert status == 0
    assert not set(WEB_AND_PDF) & packages
