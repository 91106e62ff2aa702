"""Security headers on every response, pages, fragments, errors and static files alike."""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

# Only the app's own scripts and styles: no inline <script>, on*= handler, style attribute or
# eval (htmx's own indicator styles are switched off in base.html and live in app.css).
# Bootstrap's CSS draws its select arrows and close buttons as data: SVG images.
# No form-action: "Connect to QuickBooks" posts here and is redirected to Intuit's consent page,
# a redirect form-action would block.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response of the app.

    The Server header belongs to the HTTP server, not the app (a second one would only add to
    it): gunicorn (production) sends a bare "gunicorn" since 20.1 (benoitc/gunicorn#2233), and
    the proxy in front its own, without a version once told so (README); werkzeug's demo server
    always names its and Python's version. tests/test_deploy.py starts gunicorn as the unit
    does and checks every kind of answer.
    """
    app.after_request(_secure)
