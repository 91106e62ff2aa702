"""Flask commands: database, demo data, first owner, start-up check, token key, retention."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from app import database
from app.extensions import db
from app.models import Associate, PermissionLevel


@click.command("db-upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    database.upgrade(current_app.config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo("Database is up to date.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Create the demo company if the database is empty (never on a production install)."""
    from app.demo import seed_demo_company

    if current_app.config["ENV_NAME"] == "production":
        # Its logins have passwords published in this repository.
        raise click.ClickException("The demo company is for LEDGERHUB_ENV=development only: "
                                   "its logins' passwords are public. Use create-owner.")

    created = seed_demo_company()
    click.echo("Demo company created." if created else "Data already present; nothing seeded.")


@click.command("create-owner")
@click.option("--username", prompt=True)
@click.option("--display-name", prompt="Display name")
@click.option("--email", default="", prompt="Email (optional)", show_default=False)
@click.password_option()
def create_owner(username: str, display_name: str, email: str, password: str) -> None:
    """Create a Company Owner account on a real install."""
    username = username.strip()
    if len(password) < 8:
        raise click.ClickException("The password must have at least 8 characters.")
    taken = db.session.scalar(
        select(Associate.id).where(func.lower(Associate.username) == username.lower())
    )
    if taken:
        raise click.ClickException(f"The username {username!r} is taken.")
    owner = Associate(username=username, display_name=display_name.strip()[:100],
                      email=email.strip() or None, permission=PermissionLevel.OWNER)
    owner.set_password(password)
    db.session.add(owner)
    db.session.commit()
    click.echo(f"Owner {username!r} created.")


@click.command("check")
def check() -> None:
    """Check what a worker checks at start: database, Redis and the stored-token key."""
    from app.startup import stored_token_problems, unreachable_services

    problems = unreachable_services(current_app) or stored_token_problems(current_app)
    if problems:
        raise click.ClickException("\n".join(problems))
    click.echo("Settings, database, Redis and the token key are in order.")


@click.command("rotate-token-key")
@click.option("--old-key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file holding the previous TOKEN_ENCRYPTION_KEY (asked for when omitted).")
def rotate_token_key(old_key_file: Path | None) -> None:
    """Re-encrypt the stored QuickBooks tokens with TOKEN_ENCRYPTION_KEY, given the old key."""
    from app.qbo.connection import cipher_for
    from app.qbo.crypto import TokenCipher, TokenKeyMismatch
    from app.qbo.tokens import reencrypt_tokens

    if old_key_file is not None:
        old_key = old_key_file.read_text().strip()
    else:
        old_key = click.prompt("Previous TOKEN_ENCRYPTION_KEY", hide_input=True).strip()
    try:
        changed = reencrypt_tokens(db.session, TokenCipher(old_key),
                                   cipher_for(current_app.config))
    except TokenKeyMismatch:
        raise click.ClickException(
            "Neither the previous key nor TOKEN_ENCRYPTION_KEY opens the stored QuickBooks "
            "tokens; nothing was changed. Check the previous key (from your backups).") from None
    click.echo(f"Re-encrypted the tokens of {changed} QuickBooks connection(s) with the "
               "current TOKEN_ENCRYPTION_KEY.")


@click.command("prune-sync-log")
@click.option("--older-than-days", type=click.IntRange(min=1), default=None,
              help="Remove events older than this (default: SYNC_LOG_RETENTION_DAYS).")
def prune_sync_log(older_than_days: int | None) -> None:
    """Remove sync-log events older than N days (failures waiting for a fix are kept)."""
    from app.sync.retention import prune_sync_log as prune

    days = older_than_days or current_app.config["SYNC_LOG_RETENTION_DAYS"]
    if not days:
        raise click.UsageError("Give --older-than-days N, or set SYNC_LOG_RETENTION_DAYS.")
    events, runs = prune(db.session, days)
    click.echo(f"Removed {events} sync-log event(s) and {runs} run(s) older than {days} days; "
               "failures waiting for a fix or retry and open import questions were kept.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (db_upgrade, seed_demo, create_owner, check, rotate_token_key,
                    prune_sync_log):
        app.cli.add_command(command)
