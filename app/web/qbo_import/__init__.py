"""Admin -> QuickBooks Online Settings -> Import, post-import follow-ups, match and link.

One module per feature, all on one blueprint: ``steps`` (import runs), ``attention`` (the
questions an import leaves), ``follow_ups``, ``matching`` (match and link) and ``refresh``
(list refresh runs). Views parse the request, call a service in ``app.sync`` and render.
"""

from app.web.qbo_import import attention, follow_ups, matching, refresh, steps
from app.web.qbo_import.common import bp

__all__ = ["attention", "bp", "follow_ups", "matching", "refresh", "steps"]
