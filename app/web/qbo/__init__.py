"""QuickBooks Online: connect, disconnect, and (later) every QBO command."""

from __future__ import annotations

from app.web.qbo.routes import bp

__all__ = ["bp"]
