# Ledgerhub: `make run` starts the demo, `make test` runs the test-suite.
# Both set themselves up on a fresh machine (Python 3.11+, git, make, a C compiler).

PYTHON ?= $(shell command -v python3.12 || command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ASSETS := app/static/vendor/.htmx.org-2.0.9 app/static/vendor/.bootstrap-5.3.8

.PHONY: run test lint bench clean browser

run: $(STAMP) $(ASSETS)
	$(PY) -m app.devserver

test: $(STAMP) $(ASSETS) browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m qbo_emulator.bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(ASSETS): app/assets.py $(STAMP)
	$(PY) -m app.assets

# Browser tests drive Debian's chromium; install it when missing and we may (root + apt-get).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing chromium for the browser tests"; \
		(apt-get install -y -q chromium >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) || \
		echo "chromium could not be installed: browser tests will be skipped"; \
	fi

clean:
	rm -rf $(VENV) app/static/vendor .pytest_cache
