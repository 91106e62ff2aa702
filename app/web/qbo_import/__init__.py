"""Admin -> QuickBooks Online Settings -> Import, post-import follow-ups, match and link."""

from app.web.qbo_import.routes import bp, match_url

__all__ = ["bp", "match_url"]
