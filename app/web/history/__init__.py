"""My Hours / Expense / Mileage History."""

from __future__ import annotations

from app.web.history.routes import bp

__all__ = ["bp"]
