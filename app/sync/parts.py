"""What the push engine's parts share: its state, and the methods one part calls in another.

``PushEngine`` combines ``SendingMixin``, ``ResultsMixin`` and ``RecoveryMixin``; each is a
subclass of ``EngineParts`` so it can be read (and type-checked) on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.qbo.client import QBOClient

if TYPE_CHECKING:
    from app.models import EventOutcome, Fix
    from app.qbo.client import BatchResult
    from app.qbo.faults import QBOError
    from app.sync.plan import Node


class EngineParts:
    """The engine's state; the methods are defined by the part that owns them."""

    client: QBOClient | None
    session: Any
    realm_id: str
    ctx: Any
    refs: Any
    connection: Any
    batching: bool

    @property
    def qbo(self) -> QBOClient:
        """The run's client (a dry run has none and never sends)."""
        if self.client is None:
            raise RuntimeError("a dry run does not call QuickBooks")
        return self.client

    if TYPE_CHECKING:
        def _finish(self, node: Node, outcome: EventOutcome, *, action: str,
                    message: str | None = None, **fields: Any) -> None: ...

        def _check_lock(self) -> None: ...

        def _send(self, nodes: list[Node]) -> None: ...

        def _update_now(self, node: Node) -> None: ...

        def _apply(self, node: Node, result: BatchResult | None) -> None: ...

        def _fail_link(self, node: Node, fault: QBOError, request: str, tid: str | None, *,
                       message: str | None = None, fix: Fix | None = None) -> None: ...

        def _number_taken(self, node: Node, fault: QBOError, request: str,
                          tid: str | None) -> None: ...
