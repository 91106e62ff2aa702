"""Configuration: no process starts with a missing, weak or public secret, or an implicit QBO."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from typing import Any

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.config import (
    BASE_DIR,
    ConfigError,
    ProductionConfig,
    config_for,
    demo_settings,
    normalize_database_url,
)
from app.config_check import CONFIG_EXIT_STATUS

CALLBACK = "https://ledgerhub.example.com/admin/qbo/callback"
# The secrets this repository once shipped as defaults: they must never be accepted again.
OLD_PUBLIC_SECRET_KEY = "dev-only-secret-key-change-me"
OLD_PUBLIC_TOKEN_KEY = base64.urlsafe_b64encode(b"dev-only-token-key-change-me-000").decode()


def _real_settings() -> dict[str, Any]:
    return {"ENV_NAME": "production", "SECRET_KEY": os.urandom(32).hex(),
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/ledgerhub",
            "QBO_ENVIRONMENT": "production", "QBO_CLIENT_ID": "ABc123",
            "QBO_CLIENT_SECRET": os.urandom(20).hex(), "QBO_REDIRECT_URI": CALLBACK}


UNSAFE = {
    "no secret key": ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
    "one-letter secret key": ({"SECRET_KEY": "x"}, "SECRET_KEY is too weak"),
    "repeated secret key": ({"SECRET_KEY": "s" * 64}, "SECRET_KEY is too weak"),
    "old public secret key": ({"SECRET_KEY": OLD_PUBLIC_SECRET_KEY}, "SECRET_KEY is too weak"),
    "no token key": ({"TOKEN_ENCRYPTION_KEY": ""}, "TOKEN_ENCRYPTION_KEY is not set"),
    "old public token key": ({"TOKEN_ENCRYPTION_KEY": OLD_PUBLIC_TOKEN_KEY},
                             "TOKEN_ENCRYPTION_KEY is too weak"),
    "short token passphrase": ({"TOKEN_ENCRYPTION_KEY": "k" * 44},
                               "TOKEN_ENCRYPTION_KEY is too weak"),
    "sqlite in production": ({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"},
                             "DATABASE_URL is not set to PostgreSQL"),
    "unknown environment": ({"ENV_NAME": "prod"}, "LEDGERHUB_ENV is 'prod'"),
    "implicit quickbooks": ({"QBO_ENVIRONMENT": ""}, "QBO_ENVIRONMENT is not set"),
    "emulator in production": ({"QBO_ENVIRONMENT": "emulator"}, "demo's stand-in"),
    "no intuit client": ({"QBO_CLIENT_ID": ""}, "QBO_CLIENT_ID and QBO_CLIENT_SECRET are not set"),
    "emulator's public client": ({"QBO_CLIENT_SECRET": "ledgerhub-dev-secret"},
                                 "emulator's public client secret"),
    "no redirect uri": ({"QBO_REDIRECT_URI": ""}, "QBO_REDIRECT_URI is not set"),
    "http redirect uri": ({"QBO_REDIRECT_URI": CALLBACK.replace("https", "http")},
                          "must start with https://"),
    "ip redirect uri": ({"QBO_REDIRECT_URI": "https://10.0.0.5/admin/qbo/callback"},
                        "not an IP address"),
    "wrong redirect path": ({"QBO_REDIRECT_URI": "https://ledgerhub.example.com/callback"},
                            "must end with /admin/qbo/callback"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_an_unsafe_setting_refuses_to_start(case: str) -> None:
    change, message = UNSAFE[case]
    with pytest.raises(ConfigError) as err:
        create_app({**_real_settings(), **change})
    assert message in str(err.value)
    if "SECRET_KEY" in message:
        assert "secrets.token_hex(32)" in str(err.value)  # says how to make one
    if "TOKEN_ENCRYPTION_KEY" in message:
        assert "Fernet.generate_key()" in str(err.value)


def test_real_settings_start() -> None:
    app = create_app(_real_settings())
    assert app.config["SESSION_COOKIE_HTTPONLY"] and ProductionConfig.ENV_NAME == "production"


def test_development_allows_sqlite_and_the_emulator_but_never_weak_secrets() -> None:
    dev = {**_real_settings(), "ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://",
           "QBO_ENVIRONMENT": "emulator", "QBO_CLIENT_SECRET": "ledgerhub-dev-secret"}
    assert create_app(dev).config["QBO_ENVIRONMENT"] == "emulator"
    with pytest.raises(ConfigError, match="SECRET_KEY is too weak"):
        create_app({**dev, "SECRET_KEY": "x"})


def test_sandbox_may_use_an_http_localhost_redirect() -> None:
    app = create_app({**_real_settings(), "QBO_ENVIRONMENT": "sandbox",
                      "QBO_REDIRECT_URI": "http://localhost:8000/admin/qbo/callback"})
    assert app.config["QBO_ENVIRONMENT"] == "sandbox"


def test_environment_names() -> None:
    assert config_for("Production").ENV_NAME == "production"
    assert config_for(" DEVELOPMENT ").ENV_NAME == "development"
    for name in ("prod", "test", "staging"):  # the test config is never chosen from outside
        with pytest.raises(ConfigError, match="use production"):
            config_for(name)


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///x") == "sqlite:///x"


# ------------------------------------------------------------- the real entry points


def _process_env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QBO_", "LEDGERHUB_", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY",
                                "DATABASE_URL"))}
    env.update({"LEDGERHUB_ENV": "production", "SECRET_KEY": os.urandom(32).hex(),
                "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "DATABASE_URL": "postgresql://ledgerhub@127.0.0.1:1/ledgerhub",
                "QBO_ENVIRONMENT": "sandbox", "QBO_CLIENT_ID": "ABc123",
                "QBO_CLIENT_SECRET": os.urandom(20).hex(), "QBO_REDIRECT_URI": CALLBACK})
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


ENTRY_POINTS = {
    "web": [sys.executable, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:0", "wsgi:app"],
    "worker": [sys.executable, "worker.py", "--burst"],
    "cli": [sys.executable, "-m", "flask", "--app", "wsgi", "db-upgrade"],
}
PROCESS_CASES = {
    "no secret key": ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    "SECRET_KEY=x": ({"SECRET_KEY": "x"}, "SECRET_KEY is too weak"),
    "no token key": ({"TOKEN_ENCRYPTION_KEY": None}, "TOKEN_ENCRYPTION_KEY is not set"),
    "Production with SQLite": ({"LEDGERHUB_ENV": "Production", "DATABASE_URL": None},
                               "DATABASE_URL is not set to PostgreSQL"),
    "no LEDGERHUB_ENV with SQLite": ({"LEDGERHUB_ENV": None, "DATABASE_URL": None},
                                     "DATABASE_URL is not set to PostgreSQL"),
    "unknown LEDGERHUB_ENV": ({"LEDGERHUB_ENV": "prod"}, "LEDGERHUB_ENV is 'prod'"),
    "implicit QuickBooks": ({"QBO_ENVIRONMENT": None}, "QBO_ENVIRONMENT is not set"),
}


@pytest.mark.slow
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_entry_point_refuses_each_unsafe_setting(entry: str) -> None:
    # The cases start side by side: each is a whole interpreter importing the app.
    procs = {case: subprocess.Popen(ENTRY_POINTS[entry], cwd=BASE_DIR,  # noqa: S603
                                    env=_process_env(**changes), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
             for case, (changes, _) in PROCESS_CASES.items()}
    wrong = {}
    for case, proc in procs.items():
        _, stderr = proc.communicate(timeout=240)
        message = PROCESS_CASES[case][1]
        if (proc.returncode != CONFIG_EXIT_STATUS or message not in stderr
                or "Traceback" in stderr):  # the fix is stated, not buried in a traceback
            wrong[case] = (proc.returncode, stderr[-1500:])
    assert not wrong


@pytest.mark.slow
def test_the_commands_start_with_real_settings() -> None:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "--help"],  # noqa: S603
                            cwd=BASE_DIR, env=_process_env(), capture_output=True, text=True,
                            timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "db-upgrade" in result.stdout


def test_production_refuses_the_demo_logins(app: Any, app_ctx: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Associate

    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1 and "passwords are public" in result.output
    assert db.session.scalar(select(func.count(Associate.id))) == 0


DEMO_CLIENT = {"QBO_CLIENT_ID": "demo-client", "QBO_CLIENT_SECRET": "demo-secret"}


def test_make_run_defaults_to_the_emulator_and_keeps_what_is_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LEDGERHUB_ENV", "REDIS_URL", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "PORT",
                 "QBO_EMULATOR_PORT", "QBO_EMULATOR_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QBO_ENVIRONMENT", " Emulator ")
    monkeypatch.setenv("SECRET_KEY", "the-installs-own")
    settings = demo_settings({"SECRET_KEY": "made-once", "TOKEN_ENCRYPTION_KEY": "k"},
                             DEMO_CLIENT)
    assert settings.exports == {"LEDGERHUB_ENV": "development", "SECRET_KEY": "the-installs-own",
                                "TOKEN_ENCRYPTION_KEY": "k", "QBO_ENVIRONMENT": "emulator",
                                **DEMO_CLIENT}
    assert (settings.redis, settings.emulator) == (True, True)
    assert (settings.web_port, settings.emulator_port) == (5000, 5100)
    assert settings.emulator_url == "http://127.0.0.1:5100"


def test_make_run_with_a_real_company_starts_no_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBO_ENVIRONMENT", "sandbox")
    monkeypatch.setenv("REDIS_URL", "redis://queue.example:6379/0")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.delenv("QBO_CLIENT_ID", raising=False)
    settings = demo_settings({}, DEMO_CLIENT)
    assert (settings.redis, settings.emulator, settings.web_port) == (False, False, 8080)
    assert "QBO_CLIENT_ID" not in settings.exports
    assert "QBO_ENVIRONMENT" not in settings.exports
