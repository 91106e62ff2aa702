"""Dashboard."""

from __future__ import annotations

from app.web.main.routes import bp

__all__ = ["bp"]
