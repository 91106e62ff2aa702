"""Invoices area."""

from __future__ import annotations

from app.web.invoices.routes import bp

__all__ = ["bp"]
