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

from app.models import EventOutcome
from app.sync import lookups
from app.sync.decision import judge
from app.sync.entities import Key

if TYPE_CHECKING:
    from app.sync.engine import PushEngine
    from app.sync.plan import Node, Plan

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
            # The run's own new records stand in for their future QBO ids.
            refs.planned = saved | trial
            if not judge(engine, node, plan, sending=False):
                continue
            # A body that refers to no record new in this run is already final.
            node.final = not (set(node.deps) & trial)
            trial.add(node.key)
    finally:
        refs.planned = saved
    _hold_back_orphans(engine, plan, nodes, set(roots))


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
