"""Organizations area."""

from __future__ import annotations

from app.web.organizations.routes import bp

__all__ = ["bp"]
