"""Configuration: every environment variable the application reads is read here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("LEDGERHUB_INSTANCE_DIR", BASE_DIR / "instance"))
# Where ``python -m app.assets`` downloads the front-end packages from (install time only).
NPM_REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org")

# The two commands an administrator runs to make the secrets (quoted in every refusal).
MAKE_SECRET_KEY = 'python3 -c "import secrets; print(secrets.token_hex(32))"'  # noqa: S105
MAKE_TOKEN_KEY = ('python3 -c "from cryptography.fernet import Fernet; '  # noqa: S105
                  'print(Fernet.generate_key().decode())"')
ENVIRONMENTS = ("production", "development")
QBO_ENVIRONMENTS = ("emulator", "sandbox", "production")
QBO_CALLBACK_PATH = "/admin/qbo/callback"
MIN_SECRET_CHARS = 32
# A passphrase typed by a person repeats few characters; 32 random bytes have about 30 distinct.
MIN_DISTINCT_CHARS = 10
MIN_KEY_DISTINCT_BYTES = 20


class ConfigError(RuntimeError):
    """A setting that makes starting unsafe or impossible; the message says how to fix it."""


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


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def environment_name() -> str:
    """``LEDGERHUB_ENV`` as written, in lower case; a real install (production) when unset."""
    return _env("LEDGERHUB_ENV").lower() or "production"


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment, read from the process environment."""

    ENV_NAME = environment_name()
    # No default: a secret written in the repository would be a secret known to everyone.
    SECRET_KEY = _env("SECRET_KEY")
    TOKEN_ENCRYPTION_KEY = _env("TOKEN_ENCRYPTION_KEY")
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

    # Chosen explicitly: the demo (app/devserver.py) sets the emulator and its client.
    QBO_ENVIRONMENT = _env("QBO_ENVIRONMENT").lower()
    QBO_CLIENT_ID = _env("QBO_CLIENT_ID")
    QBO_CLIENT_SECRET = _env("QBO_CLIENT_SECRET")
    QBO_REDIRECT_URI = _env("QBO_REDIRECT_URI")
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
    # Requests a push carries at once: QBO answers a batch slowly, so one at a time cannot
    # spend the minute's budget. Every request still waits for its slot from the limiter,
    # whose 10 concurrent slots (QBO's older rule) every process shares.
    QBO_PUSH_CONCURRENCY = int(os.environ.get("QBO_PUSH_CONCURRENCY", "6"))
    # "QBO Add All" copies its selection in chunks of this many records (memory stays flat).
    QBO_PUSH_CHUNK_SIZE = int(os.environ.get("QBO_PUSH_CHUNK_SIZE", "500"))
    # A running run writes a heartbeat this often; one silent for RUN_DEAD_SECONDS is dead.
    RUN_HEARTBEAT_SECONDS = float(os.environ.get("RUN_HEARTBEAT_SECONDS", "5"))
    RUN_DEAD_SECONDS = float(os.environ.get("RUN_DEAD_SECONDS", "30"))
    # Sync-log events older than this many days are pruned daily by the cron scheduler (0: kept).
    SYNC_LOG_RETENTION_DAYS = int(_env("SYNC_LOG_RETENTION_DAYS") or "0")

    @property
    def is_production(self) -> bool:
        """True when running as a real install rather than a demo or test."""
        return self.ENV_NAME == "production"


def embedded_services() -> dict[str, bool]:
    """Which services ``make run`` must start itself because none is configured."""
    return {
        "redis": "REDIS_URL" not in os.environ,
        "emulator": (_env("QBO_ENVIRONMENT").lower() or "emulator") == "emulator",
    }


@dataclass(frozen=True)
class DemoSettings:
    """What ``make run`` reads from the environment before it starts its children."""

    web_port: int
    emulator_port: int
    emulator_url: str
    redis: bool  # start a private Redis (no REDIS_URL)
    emulator: bool  # start the QuickBooks emulator (QBO_ENVIRONMENT unset or emulator)
    # Exported for the children: the demo's defaults, where the environment sets nothing.
    exports: dict[str, str] = field(default_factory=dict)


def demo_settings(secrets: dict[str, str], emulator_client: dict[str, str]) -> DemoSettings:
    """The demo's settings: development, the install's own ``secrets`` and, unless another
    QuickBooks environment was chosen, the emulator with its public client
    (``emulator_client``: QBO_CLIENT_ID and QBO_CLIENT_SECRET)."""
    services = embedded_services()
    defaults = {"LEDGERHUB_ENV": "development", **secrets}
    forced = {}
    if services["emulator"]:
        forced["QBO_ENVIRONMENT"] = "emulator"
        defaults |= emulator_client
    emulator_port = int(os.environ.get("QBO_EMULATOR_PORT", "5100"))
    return DemoSettings(
        web_port=int(os.environ.get("PORT", "5000")),
        emulator_port=emulator_port,
        emulator_url=os.environ.get("QBO_EMULATOR_URL", f"http://127.0.0.1:{emulator_port}"),
        redis=services["redis"], emulator=services["emulator"],
        exports={**{k: os.environ.get(k, v) for k, v in defaults.items()}, **forced},
    )


class DevelopmentConfig(Config):
    """The demo (``make run``) or a developer's machine: SQLite and the emulator allowed."""

    ENV_NAME = "development"


class ProductionConfig(Config):
    """A real install (the default)."""

    ENV_NAME = "production"


class TestConfig(Config):
    """The test-suite's (never chosen by ``LEDGERHUB_ENV``); tests override attributes."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - the test-suite's own, never a real install's
    TOKEN_ENCRYPTION_KEY = "test-token-encryption-key"  # noqa: S105 - likewise
    QBO_ENVIRONMENT = "emulator"
    QBO_CLIENT_ID = "ledgerhub-dev"
    QBO_CLIENT_SECRET = "ledgerhub-dev-secret"  # noqa: S105 - the emulator's public client
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    LOGIN_MAX_FAILURES = 3


def config_for(name: str | None = None) -> type[Config]:
    """The configuration class for ``LEDGERHUB_ENV`` (or the given name).

    An unknown name is refused rather than treated as development, so ``prod`` or a typo never
    loosens a check.
    """
    name = (name or environment_name()).strip().lower()
    if name not in ENVIRONMENTS:
        raise ConfigError(f"LEDGERHUB_ENV is {name!r}: use production (the default for a real "
                          "install) or development.")
    return ProductionConfig if name == "production" else DevelopmentConfig

