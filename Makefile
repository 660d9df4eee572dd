# The two commands of the README: `make run` and `make test`. Both install what they need themselves.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test system-test-deps

$(BIN)/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# PostgreSQL server binaries for the engine suite's second database (Debian's postgresql package).
system-test-deps:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q postgresql; }

run: install
	$(BIN)/sopflow init --demo
	$(BIN)/sopflow scheduler

test: install system-test-deps
	$(BIN)/ruff check engine handlers tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q
