"""The start-up check every process runs: web, workers and ``flask`` commands alike.

A missing or weak secret, an unknown environment, SQLite in production or an implicit
QuickBooks environment refuses the start with a message that says how to fix each problem.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from app.config import (
    ENVIRONMENTS,
    MAKE_SECRET_KEY,
    MAKE_TOKEN_KEY,
    MIN_DISTINCT_CHARS,
    MIN_KEY_DISTINCT_BYTES,
    MIN_SECRET_CHARS,
    QBO_CALLBACK_PATH,
    QBO_ENVIRONMENTS,
    ConfigError,
)

# The exit status of a refused start: gunicorn's "App failed to load", so its master stops
# instead of restarting workers forever; the systemd units do not restart on it either.
CONFIG_EXIT_STATUS = 4
# The QuickBooks emulator's public client: it opens nothing but the emulator.
PUBLIC_QBO_CLIENT_SECRETS = frozenset({"ledgerhub-dev-secret", "ledgerhub-test-secret"})


def validate_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with any unsafe or missing setting (the test-suite's config excepted)."""
    problems = settings_problems(config)
    if problems:
        raise ConfigError("Ledgerhub cannot start:\n" + "\n".join(f"  - {p}" for p in problems)
                          + "\nSee README.md, 'Running in production'.")


def settings_problems(config: Mapping[str, Any]) -> list[str]:
    """Every problem with the settings, each with what to do about it."""
    env = str(config.get("ENV_NAME") or "")
    if env == "test" and config.get("TESTING"):
        return []
    problems: list[str] = []
    if env not in ENVIRONMENTS:
        problems.append(f"LEDGERHUB_ENV is {env!r}: use production (the default) or development.")
    problems += secret_key_problems(str(config.get("SECRET_KEY") or ""))
    problems += token_key_problems(str(config.get("TOKEN_ENCRYPTION_KEY") or ""))
    if env != "development" and str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL is not set to PostgreSQL (e.g. postgresql://ledgerhub:"
                        "PASSWORD@db-host/ledgerhub); SQLite is for the demo only.")
    problems += qbo_problems(config, env)
    return problems


def secret_key_problems(value: str) -> list[str]:
    """SECRET_KEY signs the session cookies: anyone who knows it can sign in as anyone."""
    how = f"Make one with: {MAKE_SECRET_KEY}"
    if not value:
        return [f"SECRET_KEY is not set (it signs the session cookies). {how}"]
    if _weak(value):
        return [f"SECRET_KEY is too weak ({len(value)} characters; at least {MIN_SECRET_CHARS} "
                f"random ones are needed). {how}"]
    return []


def token_key_problems(value: str) -> list[str]:
    """TOKEN_ENCRYPTION_KEY encrypts the QuickBooks tokens at rest."""
    how = f"Make one with: {MAKE_TOKEN_KEY} and keep a copy with your backups."
    if not value:
        return [f"TOKEN_ENCRYPTION_KEY is not set (it encrypts the QuickBooks tokens). {how}"]
    raw = _fernet_bytes(value)
    # A Fernet key spelled out from a phrase decodes to 32 bytes too, but few distinct ones; any
    # other value is a passphrase from which the key is derived.
    weak = len(set(raw)) < MIN_KEY_DISTINCT_BYTES if raw is not None else _weak(value)
    if weak:
        return [f"TOKEN_ENCRYPTION_KEY is too weak (it must be a random key). {how}"]
    return []


def qbo_problems(config: Mapping[str, Any], env: str) -> list[str]:
    """The QuickBooks environment is chosen explicitly, with an Intuit app's credentials."""
    qbo_env = str(config.get("QBO_ENVIRONMENT") or "").lower()
    choose = ("choose sandbox (Intuit's test companies) or production (real companies), with "
              "QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REDIRECT_URI from your app at "
              "developer.intuit.com")
    if not qbo_env:
        return [f"QBO_ENVIRONMENT is not set: {choose}."]
    if qbo_env not in QBO_ENVIRONMENTS:
        return [f"QBO_ENVIRONMENT is {qbo_env!r}: {choose}."]
    if qbo_env == "emulator":
        if env == "production":
            return ["QBO_ENVIRONMENT=emulator is the demo's stand-in for QuickBooks, not for a "
                    f"real install: {choose} (LEDGERHUB_ENV=development allows the emulator)."]
        if not config.get("QBO_CLIENT_ID") or not config.get("QBO_CLIENT_SECRET"):
            return ["QBO_CLIENT_ID and QBO_CLIENT_SECRET are not set: give the emulator's client "
                    "(python -m qbo_emulator --help)."]
        return []
    problems = []
    if not config.get("QBO_CLIENT_ID") or not config.get("QBO_CLIENT_SECRET"):
        problems.append("QBO_CLIENT_ID and QBO_CLIENT_SECRET are not set: copy them from your "
                        f"app's Keys & credentials ({qbo_env}) at developer.intuit.com.")
    elif config.get("QBO_CLIENT_SECRET") in PUBLIC_QBO_CLIENT_SECRETS:
        problems.append("QBO_CLIENT_SECRET is the emulator's public client secret: copy your "
                        "app's own from developer.intuit.com.")
    problems += redirect_uri_problems(str(config.get("QBO_REDIRECT_URI") or ""), qbo_env)
    return problems


def redirect_uri_problems(uri: str, qbo_env: str) -> list[str]:
    """The redirect URI registered with Intuit: https, a host name, ending in the callback path.

    Intuit only redirects to https URIs and never to an IP address; a sandbox may also use
    http://localhost ("Set app redirect URIs", developer.intuit.com, authentication docs).
    """
    example = f"https://ledgerhub.example.com{QBO_CALLBACK_PATH}"
    if not uri:
        return [f"QBO_REDIRECT_URI is not set: give the redirect URI registered with your Intuit "
                f"app, e.g. {example}."]
    parts = urlsplit(uri)
    host = parts.hostname or ""
    local_sandbox = qbo_env == "sandbox" and parts.scheme == "http" and host == "localhost"
    problems = []
    if parts.scheme != "https" and not local_sandbox:
        problems.append(f"QBO_REDIRECT_URI must start with https:// (Intuit redirects nowhere "
                        f"else), e.g. {example}.")
    if _is_ip(host):
        problems.append("QBO_REDIRECT_URI must name the host, not an IP address (Intuit "
                        "refuses IP addresses).")
    if not parts.path.endswith(QBO_CALLBACK_PATH):
        problems.append(f"QBO_REDIRECT_URI must end with {QBO_CALLBACK_PATH}, e.g. {example}.")
    return problems


def _weak(value: str) -> bool:
    return len(value) < MIN_SECRET_CHARS or len(set(value)) < MIN_DISTINCT_CHARS


def _fernet_bytes(value: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


__all__ = ["CONFIG_EXIT_STATUS", "ConfigError", "settings_problems", "validate_settings"]
