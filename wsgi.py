"""WSGI entry point: ``gunicorn wsgi:app`` (and ``flask --app wsgi <command>``)."""

from __future__ import annotations

import sys

from app import create_app
from app.config_check import CONFIG_EXIT_STATUS, ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # The message says how to fix each setting; a traceback would only bury it.
    sys.stderr.write(f"{exc}\n")
    raise SystemExit(CONFIG_EXIT_STATUS) from None
