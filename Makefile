# Ledgerhub: `make run` starts the demo, `make test` runs the test-suite.
# Both set themselves up on a fresh machine (Python 3.11+, git, make, a C compiler).

# The first interpreter that runs and is 3.11+ (a pyenv shim may exist without its version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; \
	done)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ASSETS := app/static/vendor/.htmx.org-2.0.9 app/static/vendor/.bootstrap-5.3.8
# axe-core runs only inside the browser tests; it is never served by the app.
TEST_ASSETS := tests/e2e/vendor/.axe-core-4.14.1

.PHONY: run test lint bench soak clean browser install

run: $(STAMP) $(ASSETS)
	$(PY) -m app.devserver

test: $(STAMP) $(ASSETS) $(TEST_ASSETS) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# Style and types: ruff, then mypy over app/, qbo_emulator/, worker.py and wsgi.py (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Everything copied with "QBO Add All" under faults, worker kills and a Redis restart.
soak: $(STAMP)
	$(PY) -m tests.soak --records $(or $(RECORDS),2000)

# Every benchmark: figures with their spread into bench-results.json and a table with targets.
# BENCH_ARGS=--quick for a smoke test with small sizes; each part also runs alone
# (python -m tests.benchmarks.bench_pages / bench_push / bench_import, python -m qbo_emulator.bench).
bench: $(STAMP)
	$(PY) -m tests.benchmarks $(BENCH_ARGS)

# A production install from a clone: the app and its dependencies (no test tools) in .venv, and
# the front-end assets. Run again after every `git pull`.
install:
	@test -n "$(PYTHON)" || (echo "Python 3.11 or newer is required" >&2; exit 1)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	$(PY) -m app.assets

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || (echo "Python 3.11 or newer is required" >&2; exit 1)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(ASSETS): app/assets.py $(STAMP)
	$(PY) -m app.assets

$(TEST_ASSETS): app/assets.py $(STAMP)
	$(PY) -m app.assets --test

# Browser tests drive Debian's chromium; install it when missing and we may (root + apt-get).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing chromium for the browser tests"; \
		(apt-get install -y -q chromium >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) || \
		echo "chromium could not be installed: browser tests will be skipped"; \
	fi

clean:
	rm -rf $(VENV) app/static/vendor tests/e2e/vendor .pytest_cache
