# The two commands of the README: `make run` and `make test`. Both install what they need themselves.
VENV := .venv
BIN := $(VENV)/bin
export DEBIAN_FRONTEND := noninteractive

.PHONY: run test install assets system-test-deps

$(BIN)/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# bpmn-js, its properties panel and the other front-end parts, from npm, bundled into webapp/static/dist.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

webapp/static/dist/.built: node_modules/.installed $(wildcard webapp/assets/*)
	node webapp/assets/build.mjs
	touch $@

assets: webapp/static/dist/.built

install: $(VENV)/.installed assets

# Debian packages the suite drives for real: PostgreSQL (second database), Chromium (browser tests),
# poppler-utils (pdftotext reads the PDFs back), fonts for WeasyPrint.
system-test-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; fi

run: install
	$(BIN)/sopflow init --demo
	$(BIN)/sopflow serve --host 127.0.0.1 --port 5000

test: install system-test-deps
	$(BIN)/ruff check engine handlers webapp tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q
