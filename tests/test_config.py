"""Configuration: production refuses the development defaults."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import DEV_SECRET_KEY, DEV_TOKEN_KEY, ProductionConfig, normalize_database_url


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEV_SECRET_KEY,
                    "TOKEN_ENCRYPTION_KEY": "x" * 44,
                    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/ledgerhub"})


def test_production_refuses_sqlite_and_dev_token_key() -> None:
    with pytest.raises(RuntimeError) as err:
        create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 64,
                    "TOKEN_ENCRYPTION_KEY": DEV_TOKEN_KEY,
                    "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    assert "TOKEN_ENCRYPTION_KEY" in str(err.value) and "DATABASE_URL" in str(err.value)


def test_production_starts_with_real_settings() -> None:
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 64,
                      "TOKEN_ENCRYPTION_KEY": "k" * 44,
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/ledgerhub"})
    assert app.config["SESSION_COOKIE_HTTPONLY"] and ProductionConfig.ENV_NAME == "production"


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///x") == "sqlite:///x"
