"""Template helpers that tie form errors to their fields and tell the page title about them."""

from __future__ import annotations

from typing import Any

from flask import Flask, before_render_template
from wtforms import Field, Form


def field_aria(field: Field, help_text: str | None = None) -> dict[str, str]:
    """aria-invalid and aria-describedby for a field: its error message and help text."""
    described = ([f"{field.id}-error"] if field.errors else []) + (
        [f"{field.id}-help"] if help_text else [])
    attrs = {"aria-invalid": "true"} if field.errors else {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


def _note_form_errors(_: Flask, template: Any, context: dict[str, Any], **__: Any) -> None:
    # A page re-shown with errors says so in its title, so the first thing a screen reader
    # announces (and the browser tab) tells the person the save did not happen.
    context.setdefault("form_has_errors", any(
        isinstance(value, Form) and value.errors for value in context.values()))


def init_app(app: Flask) -> None:
    """Register the helpers with the app's templates."""
    app.jinja_env.globals["field_aria"] = field_aria
    before_render_template.connect(_note_form_errors, app)
