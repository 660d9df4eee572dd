"""The layout that shows the architecture (issue 13 §3): engine/ imports neither the handlers, the web app nor
Flask, not even lazily; no engine module imports another that imports it back (type-only and lazy imports
count); no module of engine/, handlers/ or webapp/ is over 400 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

LIMIT = 400


def _modules(folder: str) -> dict[str, Path]:
    found = {}
    for path in (ROOT / folder).rglob("*.py"):
        if "migrations" not in path.parts:
            found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_the_engine_imports_no_handlers_no_web_app_and_no_flask() -> None:
    found = [(name, imported) for name, path in _modules("engine").items() for imported in _imports(path)
             if imported.split(".")[0] in ("handlers", "webapp", "flask", "flask_login", "flask_babel", "werkzeug")]
    assert found == []


def test_no_engine_module_imports_one_that_imports_it_back() -> None:
    modules = _modules("engine")
    graph = {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}
    cycles = []
    for start in graph:  # a depth-first walk from each module back to itself
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" → ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert cycles == []


def test_no_module_is_over_the_limit() -> None:
    long = {str(path.relative_to(ROOT)): n for folder in ("engine", "handlers", "webapp")
            for path in _modules(folder).values() if (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert long == {}


# What handlers may use of the engine: the call they receive (engine.runtime.services), the rows they read, the
# time-standard words, and the two services they exist to call (a plan's children, the month's publications).
HANDLER_INTERFACE = {"engine.runtime.services", "engine.store", "engine.diagrams.durations", "engine.runtime.plans",
                     "engine.audit.audit_evaluation"}


def test_handlers_reach_the_engine_through_their_interface_only() -> None:
    used = {imported for path in _modules("handlers").values() for imported in _imports(path)
            if imported.startswith("engine.") and imported.rsplit(".", 1)[0] not in HANDLER_INTERFACE}
    assert used - HANDLER_INTERFACE == set()
