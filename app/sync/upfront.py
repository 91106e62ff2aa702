"""Pre-flight of a whole plan before its first write.

Every record a run would write (dependencies included) is checked first: its amounts, the
rules of ``preflight.check_record`` and a trial payload in which the run's own new records
stand in for their future QBO ids. A record with a problem fails with its reasons; so does
everything that depends on it; and a dependency only needed by failed records is not sent
at all, so a run whose one invoice has an unmapped tax code creates nothing in QuickBooks.
Records unaffected by any problem still go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.models import EventOutcome, Fix, LinkOrigin, LinkState
from app.sync import lookups
from app.sync.amounts import amount_problems
from app.sync.entities import Key, NotSendable, fingerprint
from app.sync.preflight import check_record

if TYPE_CHECKING:
    from app.sync.push import Node, Plan, PushEngine

HELD_BACK = "held_back"
RULE = ("Before its first write, a run checks every record it would copy, dependencies "
        "included. A record with a problem is not sent, nor is anything that depends on it "
        "or is only needed by it; the other records are copied.")


def check_plan(engine: PushEngine, plan: Plan, nodes: list[Node], roots: list[Key]) -> None:
    """Decide every node before any write: failed, skipped, or going with a trial body."""
    refs = engine.refs
    assert refs is not None
    engine.ctx.progress.current("Checking every record before copying")
    saved = set(refs.planned)
    trial: set[Key] = set()
    # Pre-flight asks for the links the plan has just read (nothing is written before it ends).
    lookups.remember_links(engine.session, engine.realm_id,
                           {key: node.link for key, node in plan.nodes.items()})
    try:
        for node in nodes:  # layer order: a node's dependencies are decided before it
            if not _decide(engine, node, plan):
                continue
            refs.planned = saved | trial
            try:
                node.body = node.etype.payload(node.record, refs)
                if node.etype.qbo_entity_for is not None:  # a Bill or a Purchase, say
                    node.qbo_entity = node.etype.qbo_entity_for(node.record, refs)
            except NotSendable as exc:
                engine._finish(node, EventOutcome.FAILED, action="plan", fault_code=exc.code,
                               message=exc.message, fix=exc.fix)
                continue
            # A body that refers to no record new in this run is already final.
            node.final = not (set(node.deps) & trial)
            trial.add(node.key)
    finally:
        refs.planned = saved
    _hold_back_orphans(engine, plan, nodes, set(roots))


def _decide(engine: PushEngine, node: Node, plan: Plan) -> bool:
    """False when the node is done before sending (failed or skipped)."""
    failed_dep = next((plan.nodes[d] for d in node.deps if d in plan.nodes
                       and plan.nodes[d].outcome == EventOutcome.FAILED), None)
    if failed_dep is not None:
        engine._finish(node, EventOutcome.FAILED, action="plan",
                       message=f"Not sent: {failed_dep.label} could not be copied.")
        return False
    bad_numbers = amount_problems(node.record)
    if bad_numbers:
        engine._finish(node, EventOutcome.FAILED, action="plan", fault_code="amount",
                       message=" ".join(bad_numbers), fix=Fix.edit(*node.key))
        return False
    link = node.link
    if node.follows is not None and node.follows in plan.nodes:
        # Decided when its leader has gone (billed time after its invoice): see PushEngine.
        node.operation = "update" if link is not None and link.qbo_id else "create"
        return False
    node.fingerprint = fingerprint(node.etype.name, node.record)
    synced = link is not None and link.qbo_id and link.state == LinkState.SYNCED
    if synced and link.origin == LinkOrigin.MAPPED:
        # A mapping means "use this QuickBooks entry as it is": never overwrite it.
        engine._finish(node, EventOutcome.SKIPPED, action="skip", qbo_id=link.qbo_id,
                       message=f"Mapped to QuickBooks #{link.qbo_id}; used as it is there.")
        return False
    if synced and link.pushed_hash == node.fingerprint:
        engine._finish(node, EventOutcome.SKIPPED, action="skip", qbo_id=link.qbo_id,
                       message=f"Already in QuickBooks (#{link.qbo_id}), unchanged.")
        return False
    if node.etype.ready is not None:  # e.g. a draft invoice is never copied
        try:
            node.etype.ready(node.record)
        except NotSendable as exc:
            engine._finish(node, EventOutcome.FAILED, action="plan", fault_code=exc.code,
                           message=exc.message, fix=exc.fix)
            return False
    # Something will be written: QuickBooks' preferences now (once per run, one GET).
    engine.read_preferences()
    problems = check_record(engine.session, engine.realm_id, node.etype.name, node.record)
    if problems:
        engine._finish(node, EventOutcome.FAILED, action="plan", fault_code=problems[0].code,
                       message=" ".join(p.message for p in problems),
                       fix=problems[0].fix)
        return False
    node.operation = "update" if synced else "create"
    return True


def _hold_back_orphans(engine: PushEngine, plan: Plan, nodes: list[Node],
                       roots: set[Key]) -> None:
    """A going dependency that only failed records need is not sent (nothing half-copied).

    A dependency of a root that is already in QuickBooks still goes: a changed client of an
    unchanged invoice is brought up to date as before.
    """
    going = {n.key for n in nodes if n.outcome is None and n.follows is None}
    needed: set[Key] = set()
    stack = [k for k in roots if k in plan.nodes and plan.nodes[k].outcome != EventOutcome.FAILED]
    while stack:
        key = stack.pop()
        if key in needed:
            continue
        needed.add(key)
        stack.extend(d for d in plan.nodes[key].deps
                     if d in plan.nodes and plan.nodes[d].outcome != EventOutcome.FAILED)
    for node in nodes:
        if node.key in going and node.key not in needed:
            users = [n.label for n in plan.nodes.values()
                     if node.key in n.deps and n.outcome == EventOutcome.FAILED]
            why = (f"only {users[0]} needs it, and it cannot be copied yet" if users else
                   "only records that cannot be copied yet need it")
            engine._finish(node, EventOutcome.INFO, action="plan", fault_code=HELD_BACK,
                           message=f"Not sent: {why}.")
