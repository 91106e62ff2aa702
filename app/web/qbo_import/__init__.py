"""Admin -> QuickBooks Online Settings -> Import, post-import follow-ups, match and link."""

from app.web.qbo_import.routes import bp

__all__ = ["bp"]
