"""Client Manager (Clients / Inquiries)."""

from __future__ import annotations

from app.web.clients.routes import bp

__all__ = ["bp"]
