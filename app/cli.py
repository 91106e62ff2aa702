"""Flask commands: database, demo data, first owner."""

from __future__ import annotations

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
    """Create the demo company if the database is empty."""
    from app.demo import seed_demo_company

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


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (db_upgrade, seed_demo, create_owner):
        app.cli.add_command(command)
