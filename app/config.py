"""Configuration: every environment variable the application reads is read here."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("LEDGERHUB_INSTANCE_DIR", BASE_DIR / "instance"))

DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - refused in production
DEV_TOKEN_KEY = "ZGV2LW9ubHktdG9rZW4ta2V5LWNoYW5nZS1tZS0wMDA="  # noqa: S105 - refused in production

QBO_DISCOVERY = {
    "sandbox": "https://developer.api.intuit.com/.well-known/openid_sandbox_configuration",
    "production": "https://developer.api.intuit.com/.well-known/openid_configuration",
}
QBO_API_BASE = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
}


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs (and Heroku-style ``postgres://``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment, read from the process environment."""

    ENV_NAME = os.environ.get("LEDGERHUB_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    TOKEN_ENCRYPTION_KEY = os.environ.get("TOKEN_ENCRYPTION_KEY", DEV_TOKEN_KEY)
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'ledgerhub.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "ledgerhub")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_COOKIE_DAYS", "14")))
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"
    TRUST_PROXY = _env_bool("TRUST_PROXY", False)
    WTF_CSRF_TIME_LIMIT = None

    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
    # Failed logins one address may make in LOGIN_LOCKOUT_MINUTES before each try must wait.
    LOGIN_ADDRESS_FREE_FAILURES = int(os.environ.get("LOGIN_ADDRESS_FREE_FAILURES", "10"))
    PAGE_SIZE = 25

    QBO_ENVIRONMENT = os.environ.get("QBO_ENVIRONMENT", "emulator")
    QBO_CLIENT_ID = os.environ.get("QBO_CLIENT_ID", "ledgerhub-dev")
    QBO_CLIENT_SECRET = os.environ.get("QBO_CLIENT_SECRET", "ledgerhub-dev-secret")
    QBO_REDIRECT_URI = os.environ.get("QBO_REDIRECT_URI", "")
    QBO_EMULATOR_URL = os.environ.get("QBO_EMULATOR_URL", "http://127.0.0.1:5100")
    QBO_MINOR_VERSION = 75
    QBO_HTTP_TIMEOUT = float(os.environ.get("QBO_HTTP_TIMEOUT", "30"))
    # A batch's outcome counts as unknown only after QBO's own 120 s request ceiling.
    QBO_BATCH_TIMEOUT = max(120.0, float(os.environ.get("QBO_BATCH_TIMEOUT", "130")))
    # The pause after a 429 when QBO names none (Intuit says 60 s; never more).
    QBO_THROTTLE_WAIT_SECONDS = min(60.0, float(os.environ.get("QBO_THROTTLE_WAIT_SECONDS",
                                                               "60")))
    QBO_RATE_WINDOW_SECONDS = float(os.environ.get("QBO_RATE_WINDOW_SECONDS", "60"))
    QBO_MAX_RETRIES = int(os.environ.get("QBO_MAX_RETRIES", "5"))
    QBO_BACKOFF_BASE = float(os.environ.get("QBO_BACKOFF_BASE", "0.5"))
    QBO_PUSH_LOCK_SECONDS = int(os.environ.get("QBO_PUSH_LOCK_SECONDS", "60"))
    QBO_PUSH_BATCHING = _env_bool("QBO_PUSH_BATCHING", True)
    # "QBO Add All" copies its selection in chunks of this many records (memory stays flat).
    QBO_PUSH_CHUNK_SIZE = int(os.environ.get("QBO_PUSH_CHUNK_SIZE", "500"))
    # A running run writes a heartbeat this often; one silent for RUN_DEAD_SECONDS is dead.
    RUN_HEARTBEAT_SECONDS = float(os.environ.get("RUN_HEARTBEAT_SECONDS", "5"))
    RUN_DEAD_SECONDS = float(os.environ.get("RUN_DEAD_SECONDS", "30"))

    @property
    def is_production(self) -> bool:
        """True when running as a real install rather than a demo or test."""
        return self.ENV_NAME == "production"


def embedded_services() -> dict[str, bool]:
    """Which services ``make run`` must start itself because none is configured."""
    return {
        "redis": "REDIS_URL" not in os.environ,
        "emulator": os.environ.get("QBO_ENVIRONMENT", "emulator") == "emulator",
    }


class DevelopmentConfig(Config):
    """The demo started by ``make run``."""


class ProductionConfig(Config):
    """A real install: refuses the development secrets."""

    ENV_NAME = "production"


class TestConfig(Config):
    """Used by the test-suite; individual tests override attributes as needed."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    LOGIN_MAX_FAILURES = 3


def config_for(name: str | None = None) -> type[Config]:
    """Pick the configuration class for ``LEDGERHUB_ENV`` (or the given name)."""
    name = name or os.environ.get("LEDGERHUB_ENV", "development")
    return {"production": ProductionConfig, "test": TestConfig}.get(name, DevelopmentConfig)


def check_production_secrets(config: dict) -> None:
    """Refuse to run in production with the development defaults."""
    problems = []
    if config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        problems.append("SECRET_KEY")
    if config.get("TOKEN_ENCRYPTION_KEY") in (None, "", DEV_TOKEN_KEY):
        problems.append("TOKEN_ENCRYPTION_KEY")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL (SQLite is for the demo only)")
    if problems:
        raise RuntimeError(
            "Refusing to start in production with development defaults for: "
            + ", ".join(problems)
            + ". See README.md, 'Running in production'."
        )
