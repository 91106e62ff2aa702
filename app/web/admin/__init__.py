"""Admin: settings and the Associate Manager."""

from __future__ import annotations

from app.web.admin.routes import bp

__all__ = ["bp"]
