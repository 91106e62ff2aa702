"""Run the emulator in a background thread for tests, and talk to its control plane."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .config import DEV_CLIENT_ID, DEV_CLIENT_SECRET, EmulatorConfig
from .core import Emulator


class _QuietHandler(WSGIRequestHandler):
    """No access log lines in test output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Skip logging."""


@dataclass
class Company:
    """A company created for a test, with a ready access token."""

    realm_id: str
    access_token: str
    refresh_token: str
    base_url: str  # .../v3/company/<realm_id>
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        """Authorization and Accept headers for the Accounting API."""
        return {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}


class _ControlPlane:
    """Control-plane and company helpers shared by in-process and spawned emulators."""

    client_id = DEV_CLIENT_ID
    client_secret = DEV_CLIENT_SECRET
    url: str

    def api_base(self, realm_id: str) -> str:
        """Base URL of a company's Accounting API."""
        return f"{self.url}/v3/company/{realm_id}"

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the control plane (path relative to /_emulator/) and return its JSON."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - local test server
            f"{self.url}/_emulator/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            text = response.read()
        return json.loads(text) if text else None

    def create_company(self, **options: Any) -> Company:
        """A new company (options as POST /_emulator/companies) with a fresh token."""
        created = self.control("POST", "companies", {"seed": "sample", **options})
        return self.connect(created["realm_id"])

    def connect(self, realm_id: str, client_id: str | None = None) -> Company:
        """Tokens for an existing company, skipping the consent page."""
        tokens = self.control(
            "POST", f"companies/{realm_id}/tokens", {"client_id": client_id} if client_id else {}
        )
        return Company(
            realm_id,
            tokens["access_token"],
            tokens["refresh_token"],
            self.api_base(realm_id),
            tokens,
        )


class RunningEmulator(_ControlPlane):
    """An emulator served by a threaded werkzeug server on 127.0.0.1 and a free port."""

    def __init__(self, app: Flask, server: BaseWSGIServer) -> None:
        self.app = app
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, name="qbo-emulator", daemon=True
        )
        self._thread.start()

    @property
    def emulator(self) -> Emulator:
        """The in-process Emulator (store, tokens, stats...)."""
        return self.app.extensions["qbo_emulator"]

    def stop(self) -> None:
        """Shut the server down and stop background work."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
        self.emulator.close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class SpawnedEmulator(_ControlPlane):
    """An emulator in its own process (``python -m qbo_emulator``).

    Timing tests use it: requests are stamped by a process that does not share the test's
    interpreter lock with a dozen client threads, so QBO's windows are measured as QBO would.
    """

    def __init__(self, time_scale: float = 1.0, seed: str = "none") -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "qbo_emulator", "--port", str(port), "--seed", seed,
             "--time-scale", str(time_scale)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                self.control("GET", "companies")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the emulator process did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """End the emulator process."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_emulator(
    config: EmulatorConfig | dict[str, Any] | None = None, *, port: int = 0, **options: Any
) -> RunningEmulator:
    """Start an emulator in a background thread; `options` are EmulatorConfig fields.

    Defaults for tests: one sample company and throttling on, as in production.
    """
    if config is None:
        config = EmulatorConfig.from_env(**options)
    app = create_app(config)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    return RunningEmulator(app, server)
