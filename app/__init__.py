"""Ledgerhub: the Flask application factory (wiring only)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import BASE_DIR, config_for
from app.config_check import validate_settings
from app.database import tune_sqlite
from app.extensions import SessionInterface, csrf, db, htmx, login_manager


def create_app(config: type | dict[str, Any] | None = None, **overrides: Any) -> Flask:
    """Create and wire the application (``overrides`` win over the config class)."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder="static",
    )
    app.config.from_object(config_for())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.update(overrides)
    validate_settings(app.config)  # web, workers and commands refuse the same unsafe settings
    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    app.session_interface = SessionInterface()
    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from app import cli, models  # noqa: F401 - registers tables and commands
    from app.web import init_app as init_web

    init_web(app)
    cli.init_app(app)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return app
