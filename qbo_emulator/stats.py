"""Request statistics for tests: per realm, by endpoint and status, plus token endpoint calls."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from .entities import ENTITIES, GENERIC
from .store import Store

GLOBAL = "*"


class Stats:
    """Counters; every method is thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        self.requests: dict[str, dict[str, dict[str, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int))
        )
        self.throttled: dict[str, int] = defaultdict(int)
        # Why requests were refused: minute, second, batch (windows) or injected (a fault rule).
        self.throttled_by: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        # The most requests admitted inside any one (scaled) second, per realm.
        self.peak_per_second: dict[str, int] = defaultdict(int)
        self.batches: dict[str, int] = defaultdict(int)
        # Requests being answered at once, and the most there were, per realm.
        self.in_flight: dict[str, int] = defaultdict(int)
        self.peak_in_flight: dict[str, int] = defaultdict(int)
        self.token_calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def request(self, realm: str | None, endpoint: str, status: int) -> None:
        """Count one answered request."""
        with self.lock:
            for key in {realm or GLOBAL, GLOBAL}:
                self.requests[key][endpoint][str(status)] += 1

    def count(self, table: dict[str, int], realm: str | None) -> None:
        """Count a throttled or batch request."""
        with self.lock:
            for key in {realm or GLOBAL, GLOBAL}:
                table[key] += 1

    def throttle(self, realm: str | None, reason: str) -> None:
        """Count one 429 and the window (or injected rule) that caused it."""
        with self.lock:
            for key in {realm or GLOBAL, GLOBAL}:
                self.throttled[key] += 1
                self.throttled_by[key][reason] += 1

    def admitted(self, realm: str | None, in_second: int) -> None:
        """Note how many requests the last scaled second held when one more was admitted."""
        with self.lock:
            for key in {realm or GLOBAL, GLOBAL}:
                if in_second > self.peak_per_second[key]:
                    self.peak_per_second[key] = in_second
                self.in_flight[key] += 1
                self.peak_in_flight[key] = max(self.peak_in_flight[key], self.in_flight[key])

    def answered(self, realm: str | None) -> None:
        """An admitted request has its answer."""
        with self.lock:
            for key in {realm or GLOBAL, GLOBAL}:
                self.in_flight[key] -= 1

    def token_call(self, realm: str | None, grant_type: str) -> None:
        """Count one token endpoint call by grant type."""
        with self.lock:
            for key in {realm or GLOBAL, GLOBAL}:
                self.token_calls[key][grant_type] += 1

    def snapshot(self, store: Store, realm: str | None = None) -> dict[str, Any]:
        """JSON view, for one realm (with object counts) or for all."""
        key = realm or GLOBAL
        with self.lock:
            requests = {ep: dict(statuses) for ep, statuses in self.requests[key].items()}
            result: dict[str, Any] = {
                "realm": realm,
                "requests": requests,
                "requests_total": sum(sum(s.values()) for s in requests.values()),
                "throttled": self.throttled[key],
                "throttled_by": dict(self.throttled_by[key]),
                "peak_per_second": self.peak_per_second[key],
                "peak_in_flight": self.peak_in_flight[key],
                "batches": self.batches[key],
                "token_calls": dict(self.token_calls[key]),
            }
        if realm is not None:
            with store.lock:
                company = store.companies.get(realm)
                objects: dict[str, dict[str, int]] = {}
                if company is not None:
                    for entity in ENTITIES:
                        rows = company.objects.get(entity, {})
                        if entity in GENERIC and not rows:
                            continue  # the many XSD entities a company rarely holds
                        inactive = sum(1 for row in rows.values() if row.get("Active") is False)
                        objects[entity] = {"active": len(rows) - inactive, "inactive": inactive}
            result["objects"] = objects
        return result
