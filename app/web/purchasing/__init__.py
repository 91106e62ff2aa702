"""Purchasing area."""

from __future__ import annotations

from app.web.purchasing.routes import bp

__all__ = ["bp"]
