"""Catalog area."""

from __future__ import annotations

from app.web.catalog.routes import bp

__all__ = ["bp"]
