"""Security headers on every response; templates free of inline script and style; no server
version banner in production (gunicorn)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from app.extensions import db
from app.models import CompanySettings, Integration
from tests.conftest import Auth
from tests.support import TEST_SECRET_KEY, TEST_TOKEN_KEY, free_port
from tests.web.test_authz import _records, _rules, _url

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


def _assert_secured(headers: object, what: str) -> None:
    csp = headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", what
    assert directives.get("style-src") == "'self'", what
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("default-src") == "'self'", what
    assert "unsafe" not in csp, what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what


def test_every_page_fragment_error_and_file_carries_the_headers(app: Flask, auth: Auth,
                                                               users: dict) -> None:
    anonymous = app.test_client()
    for url in ("/login", "/", "/no-such-page", "/static/app.js", "/static/app.css",
                "/static/vendor/htmx.min.js"):
        with anonymous.get(url) as response:  # static files are streamed: close them
            _assert_secured(response.headers, url)
    settings = CompanySettings.load()
    settings.integration = Integration.QBO
    db.session.commit()
    ids = _records(users)
    client = auth.login("owner")
    seen = 0
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        url = _url(app, rule, ids, "owner")
        for headers in ({}, {"HX-Request": "true"}):
            _assert_secured(client.get(url, headers=headers).headers, url)
        seen += 1
    assert seen > 40


# Inline handlers (onclick=, onsubmit=, ...), style attributes, javascript: URLs and <script>
# without src are what a strict Content-Security-Policy refuses to run.
INLINE = {
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "hx-on handler": re.compile(r"\shx-on", re.I),
}


def test_templates_have_no_inline_script_or_style() -> None:
    found = []
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 40
    for path in templates:
        text = path.read_text()
        for what, pattern in INLINE.items():
            found += [f"{path.relative_to(ROOT)}: {what}: {m.group(0)[:60]!r}"
                      for m in pattern.finditer(text)]
    assert found == []


def test_the_inline_patterns_do_find_inline_code() -> None:
    samples = {"event handler attribute": '<input type="checkbox"\n  onclick="go()">',
               "style attribute": '<div class="x" style="width: 5%">',
               "<style> element": "<style>.x{}</style>",
               "inline <script>": "<script>alert(1)</script>",
               "javascript: URL": '<a href="javascript:void(0)">',
               "hx-on": '<button hx-on:click="go()">'}
    for what, sample in samples.items():
        assert any(p.search(sample) for p in INLINE.values()), what
    assert not any(p.search('<script src="/static/app.js" defer></script>')
                   for p in INLINE.values())


@pytest.fixture()
def gunicorn_server(redis_url: str) -> Iterator[str]:
    """``gunicorn wsgi:app`` as the README runs it in production."""
    port = free_port()
    # A development install (the test config is never chosen from the environment).
    env = {**os.environ, "LEDGERHUB_ENV": "development", "SECRET_KEY": TEST_SECRET_KEY,
           "TOKEN_ENCRYPTION_KEY": TEST_TOKEN_KEY, "DATABASE_URL": "sqlite://",
           "QBO_ENVIRONMENT": "emulator", "QBO_CLIENT_ID": "ledgerhub-dev",
           "QBO_CLIENT_SECRET": "ledgerhub-dev-secret", "REDIS_URL": redis_url}
    proc = subprocess.Popen(  # noqa: S603 - our own entry point
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:  # the port opens before the worker has loaded the app
                requests.get(f"{url}/login", timeout=30)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_no_version_banner_from_gunicorn(gunicorn_server: str) -> None:
    response = requests.get(f"{gunicorn_server}/login", timeout=10)
    assert response.status_code == 200
    assert response.headers["Server"] == "gunicorn"
    assert "X-Powered-By" not in response.headers
    _assert_secured(response.headers, "/login under gunicorn")
