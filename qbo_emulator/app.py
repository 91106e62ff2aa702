"""Application factory of the QBO emulator."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, Response, g, request

from .config import EmulatorConfig
from .core import EXTENSION_KEY, Emulator


def create_app(config: EmulatorConfig | dict[str, Any] | None = None) -> Flask:
    """Build the emulator app; `config` is an EmulatorConfig or a dict of its fields."""
    if config is None:
        config = EmulatorConfig.from_env()
    elif isinstance(config, dict):
        config = EmulatorConfig.from_env(**config)
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    emulator = Emulator(config)
    app.extensions[EXTENSION_KEY] = emulator

    from . import api, control, oauth

    app.register_blueprint(oauth.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)

    @app.after_request
    def _tag(response: Response) -> Response:
        response.headers["intuit_tid"] = uuid.uuid4().hex[:28]
        stat = g.get("stat")
        if stat is not None:
            emulator.stats.request(stat[0], stat[1], response.status_code)
        return response

    @app.get("/")
    def index() -> dict[str, Any]:
        return {
            "service": "QBO emulator",
            "control": f"{request.host_url}_emulator/",
            **emulator.describe(),
        }

    return app
