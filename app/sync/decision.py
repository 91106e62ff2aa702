"""What happens to one record of a push run: skipped, refused, waiting, or sent.

One function decides it, at two moments. Before the run's first write (the up-front pass,
``sending=False``) every record is judged on what is known then: its dependencies, amounts,
links, readiness and the pre-flight rules, and a trial body is built. When its layer is sent
(``sending=True``) it is judged again on what the run has done since: a dependency QuickBooks
refused, a leader copied or not (billed time follows its invoice), and its final body is built
when the trial one still named records new in this run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.models import EventOutcome, Fix, LinkOrigin, LinkState, QboLink
from app.sync.amounts import amount_problems
from app.sync.entities import NotSendable, fingerprint
from app.sync.preflight import check_record

if TYPE_CHECKING:
    from app.sync.engine import PushEngine
    from app.sync.plan import Node, Plan


@dataclass(frozen=True)
class Decision:
    """The verdict on a node: it goes, or it ends here with an outcome, or it waits."""

    goes: bool
    outcome: EventOutcome | None = None  # None and not going: decided later (a follower)
    action: str = "plan"
    message: str | None = None
    fault_code: str | None = None
    fix: Fix | None = None
    qbo_id: str | None = None

    def fields(self) -> dict[str, Any]:
        """The event fields beyond outcome, action and message."""
        return {"fault_code": self.fault_code, "fix": self.fix, "qbo_id": self.qbo_id}


GO = Decision(goes=True)
WAIT = Decision(goes=False)


def _fail(message: str, fault_code: str | None = None, fix: Fix | None = None) -> Decision:
    return Decision(goes=False, outcome=EventOutcome.FAILED, message=message,
                    fault_code=fault_code, fix=fix)


def _skip(message: str, link: QboLink | None) -> Decision:
    return Decision(goes=False, outcome=EventOutcome.SKIPPED, action="skip", message=message,
                    qbo_id=link.qbo_id if link is not None else None)


def _synced(link: QboLink | None) -> QboLink | None:
    """The link when it names a record QuickBooks holds, else None."""
    if link is not None and link.qbo_id and link.state == LinkState.SYNCED:
        return link
    return None


def decide(engine: PushEngine, node: Node, plan: Plan, *, sending: bool) -> Decision:
    """Skip, refuse, wait or go; a node that goes has its operation and body set."""
    if sending and node.follows is not None:
        verdict = _follower(node, plan)
        if verdict is not None:
            return verdict
    failed_dep = next((plan.nodes[d] for d in node.deps if d in plan.nodes
                       and plan.nodes[d].outcome == EventOutcome.FAILED), None)
    if failed_dep is not None:  # refused before any write, or by QuickBooks earlier
        return _fail(f"Not sent: {failed_dep.label} could not be copied.")
    if not sending:
        verdict = _before_writes(engine, node, plan)
        if verdict is not None:
            return verdict
    elif node.final and node.body is not None:
        return GO  # the up-front body named no record new in this run
    return build_body(engine, node)


def _follower(node: Node, plan: Plan) -> Decision | None:
    """A follower once its leader went: unchanged, or left alone when the leader was not."""
    leader = plan.nodes.get(node.follows) if node.follows else None
    if leader is not None and leader.outcome in (EventOutcome.FAILED, None):
        return _skip(f"Left as it is: {leader.label} was not copied.", node.link)
    node.fingerprint = fingerprint(node.etype.name, node.record)
    synced = _synced(node.link)
    if synced is not None and synced.pushed_hash == node.fingerprint:
        return _skip(f"Already in QuickBooks (#{synced.qbo_id}), unchanged.", synced)
    node.final = False
    return None


def _before_writes(engine: PushEngine, node: Node, plan: Plan) -> Decision | None:
    """What is known before the first write: amounts, links, readiness, pre-flight rules."""
    bad_numbers = amount_problems(node.record)
    if bad_numbers:
        return _fail(" ".join(bad_numbers), "amount", Fix.edit(*node.key))
    link = node.link
    synced = _synced(link)
    if node.follows is not None and node.follows in plan.nodes:
        # Decided when its leader has gone (billed time after its invoice).
        node.operation = "update" if link is not None and link.qbo_id else "create"
        return WAIT
    node.fingerprint = fingerprint(node.etype.name, node.record)
    if synced is not None and synced.origin == LinkOrigin.MAPPED:
        # A mapping means "use this QuickBooks entry as it is": never overwrite it.
        return _skip(f"Mapped to QuickBooks #{synced.qbo_id}; used as it is there.", synced)
    if synced is not None and synced.pushed_hash == node.fingerprint:
        return _skip(f"Already in QuickBooks (#{synced.qbo_id}), unchanged.", synced)
    if node.etype.ready is not None:  # e.g. a draft invoice is never copied
        try:
            node.etype.ready(node.record)
        except NotSendable as exc:
            return _fail(exc.message, exc.code, exc.fix)
    # Something will be written: QuickBooks' preferences now (once per run, one GET).
    engine.read_preferences()
    problems = check_record(engine.session, engine.realm_id, node.etype.name, node.record)
    if problems:
        return _fail(" ".join(p.message for p in problems), problems[0].code,
                     problems[0].fix)
    node.operation = "update" if synced is not None else "create"
    return None


def build_body(engine: PushEngine, node: Node) -> Decision:
    """The payload (and the QBO entity it is sent as); a record that cannot say it fails."""
    refs = engine.refs
    assert refs is not None  # set when the run starts
    payload = node.etype.payload
    try:
        if payload is None:
            raise NotSendable(f"{node.etype.noun.capitalize()} records are not copied to "
                              "QuickBooks.")
        node.body = payload(node.record, refs)
        if node.etype.qbo_entity_for is not None:  # a Bill or a Purchase, say
            node.qbo_entity = node.etype.qbo_entity_for(node.record, refs)
    except NotSendable as exc:
        return _fail(exc.message, exc.code, exc.fix)
    return GO


def judge(engine: PushEngine, node: Node, plan: Plan, *, sending: bool) -> bool:
    """Decide the node and record an outcome that ends it; True when it goes."""
    verdict = decide(engine, node, plan, sending=sending)
    if verdict.outcome is not None:
        engine._finish(node, verdict.outcome, action=verdict.action, message=verdict.message,
                       **verdict.fields())
    return verdict.goes
