"""QuickBooks Online Settings: mappings, defaults, go-live readiness, exchange rates."""

from __future__ import annotations

from app.web.qbo_mappings.routes import bp

__all__ = ["bp"]
