"""Browser fixtures: the app served over real HTTP, and headless Debian Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.support import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture()
def live_server(app: Flask) -> Iterator[str]:
    """The session's app served on a free loopback port for the duration of a test."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("LEDGERHUB_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required for the browser tests")
        pytest.skip(f"{CHROMIUM} is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh browser context and page per test."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
