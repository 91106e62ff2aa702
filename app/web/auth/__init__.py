"""Logging in and out."""

from __future__ import annotations

from app.web.auth.routes import bp

__all__ = ["bp"]
