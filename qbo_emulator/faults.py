"""Fault injection for tests: rules that make matching requests fail in chosen ways.

Triggers: ``next_n``, ``every_nth``, ``probability``, or ``for_seconds`` (every matching
request for that many real-service seconds from when the rule is added, time-scaled).

Kinds:
- ``http_500`` / ``http_503``: a SystemFault answer; nothing is applied.
- ``throttle_429``: the XML throttle answer; nothing is applied.
- ``reset_before_commit``: the connection is closed without an answer; nothing is applied.
- ``timeout_after_commit``: the write IS applied and stored (and a requestid answer kept), then
  with ``mode: "drop"`` (default) the connection is closed without an answer; with
  ``mode: "stall"`` the answer is held back for ``stall_seconds`` (default from the emulator
  config) so the client's own timeout fires first. A stall that reaches QBO's 120 s request
  ceiling (time-scaled) ends there with QBO's 504 GatewayTimeout answer instead.
- ``expire_access_token``: the presented access token is expired from now on (401 3200).
- ``replay_miss``: a write whose requestid was seen before is executed again instead of being
  answered from the stored response (the real service has been seen to create duplicates this
  way). Only such repeats are counted and matched, so ``next_n``/``every_nth`` count repeats.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Any

from .config import Clock

KINDS = frozenset(
    {
        "http_500",
        "http_503",
        "throttle_429",
        "timeout_after_commit",
        "reset_before_commit",
        "expire_access_token",
        "replay_miss",
    }
)

REPLAY_MISS = "replay_miss"


@dataclass
class Rule:
    """One injection rule; unset filters match everything, unset triggers fire always."""

    kind: str
    method: str | None = None
    path: re.Pattern[str] | None = None
    entity: str | None = None
    operation: str | None = None
    realm: str | None = None
    probability: float | None = None
    every_nth: int | None = None
    next_n: int | None = None
    mode: str = "drop"
    stall_seconds: float | None = None
    for_seconds: float | None = None
    until: float | None = None  # emulator clock time the for_seconds window closes
    seen: int = 0
    fired: int = 0

    def matches(
        self, method: str, path: str, realm: str | None, entity: str | None, operation: str | None
    ) -> bool:
        """Whether the request is in this rule's scope."""
        return (
            (self.method is None or self.method.upper() == method)
            and (self.path is None or self.path.search(path) is not None)
            and (self.entity is None or (entity or "").lower() == self.entity.lower())
            and (self.operation is None or operation == self.operation)
            and (self.realm is None or realm == self.realm)
        )

    def fire(self, now: float) -> bool:
        """Count a matching request and decide whether the fault happens to it."""
        self.seen += 1
        if self.until is not None:
            hit = now < self.until
        elif self.next_n is not None:
            hit = self.fired < self.next_n
        elif self.every_nth is not None:
            hit = self.seen % self.every_nth == 0
        elif self.probability is not None:
            hit = random.random() < self.probability
        else:
            hit = True
        if hit:
            self.fired += 1
        return hit

    def describe(self) -> dict[str, Any]:
        """JSON view of the rule and its counters."""
        return {
            "kind": self.kind,
            "method": self.method,
            "path": self.path.pattern if self.path else None,
            "entity": self.entity,
            "operation": self.operation,
            "realm": self.realm,
            "probability": self.probability,
            "every_nth": self.every_nth,
            "next_n": self.next_n,
            "mode": self.mode,
            "stall_seconds": self.stall_seconds,
            "for_seconds": self.for_seconds,
            "seen": self.seen,
            "fired": self.fired,
        }


class FaultInjector:
    """The active rules; the first matching rule that fires wins."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.Lock()
        self.rules: list[Rule] = []
        self.clock = clock or Clock()

    def add(self, specs: list[dict[str, Any]]) -> list[Rule]:
        """Parse and add rules; ValueError on a bad spec."""
        rules = [parse_rule(spec) for spec in specs]
        for rule in rules:
            if rule.for_seconds is not None:
                rule.until = self.clock.now() + self.clock.window(rule.for_seconds)
        with self.lock:
            self.rules.extend(rules)
        return rules

    def clear(self) -> None:
        """Remove every rule."""
        with self.lock:
            self.rules.clear()

    def match(
        self,
        method: str,
        path: str,
        realm: str | None,
        entity: str | None,
        operation: str | None,
        *,
        replay: bool = False,
    ) -> Rule | None:
        """The rule that fires for this request, if any.

        ``replay=False`` looks at every kind but ``replay_miss``; ``replay=True`` only at
        ``replay_miss`` rules, asked when a write repeats a stored requestid.
        """
        now = self.clock.now()
        with self.lock:
            for rule in self.rules:
                if (rule.kind == REPLAY_MISS) != replay:
                    continue
                if rule.matches(method, path, realm, entity, operation) and rule.fire(now):
                    return rule
        return None


def parse_rule(spec: dict[str, Any]) -> Rule:
    """Build a Rule from its JSON form."""
    if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
        raise ValueError(f"rule needs a kind among {sorted(KINDS)}")
    mode = spec.get("mode", "drop")
    if mode not in ("drop", "stall"):
        raise ValueError("mode must be drop or stall")
    path = spec.get("path")
    return Rule(
        kind=spec["kind"],
        method=spec.get("method"),
        path=re.compile(path) if path else None,
        entity=spec.get("entity"),
        operation=spec.get("operation"),
        realm=str(spec["realm"]) if spec.get("realm") else None,
        probability=float(spec["probability"]) if spec.get("probability") is not None else None,
        every_nth=int(spec["every_nth"]) if spec.get("every_nth") else None,
        next_n=int(spec["next_n"]) if spec.get("next_n") is not None else None,
        mode=mode,
        stall_seconds=(
            float(spec["stall_seconds"]) if spec.get("stall_seconds") is not None else None
        ),
        for_seconds=float(spec["for_seconds"]) if spec.get("for_seconds") is not None else None,
    )
