"""Add QBO: the push buttons, live progress, feedback and the sync log."""

from __future__ import annotations

from app.web.qbo_push.routes import bp

__all__ = ["bp"]
