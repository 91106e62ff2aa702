"""Webhooks: Intuit's legacy dataChangeEvent payload, HMAC-signed, sent from a background thread."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import urllib.request
from collections import defaultdict
from typing import Any

from . import jsonutil
from .store import Store

ALL_REALMS = "*"


def sign(body: bytes, verifier_token: str) -> str:
    """The `intuit-signature` header value: base64 HMAC-SHA256 of the raw body."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Webhooks:
    """Targets per realm and a sender thread that batches events for a short window."""

    def __init__(self, store: Store, delay: float = 0.2) -> None:
        self.store = store
        self.delay = delay
        self.cond = threading.Condition()
        self.targets: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.thread: threading.Thread | None = None
        self.stopped = False
        for key, value in store.load_globals("webhook").items():
            self.targets[key] = value

    def register(self, realm: str | None, url: str, verifier_token: str) -> None:
        """Add a target for one realm (or every realm when realm is None)."""
        key = realm or ALL_REALMS
        with self.cond:
            self.targets[key] = [t for t in self.targets[key] if t["url"] != url]
            self.targets[key].append({"url": url, "verifier_token": verifier_token})
            self.store.save_global("webhook", key, self.targets[key])

    def clear(self) -> None:
        """Remove every target and undelivered event."""
        with self.cond:
            for key in list(self.targets):
                self.store.save_global("webhook", key, None)
            self.targets.clear()
            self.pending.clear()
            self.deliveries.clear()

    def publish(self, realm: str, events: list[tuple[str, str, str]], when: str) -> None:
        """Queue change events of one request (never blocks on the network)."""
        with self.cond:
            if not events or not (self.targets.get(realm) or self.targets.get(ALL_REALMS)):
                return
            for entity, obj_id, operation in events:
                self.pending.append(
                    (
                        realm,
                        {"name": entity, "id": obj_id, "operation": operation, "lastUpdated": when},
                    )
                )
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="qbo-webhooks", daemon=True)
                self.thread.start()
            self.cond.notify()

    def stop(self) -> None:
        """Stop the sender thread."""
        with self.cond:
            self.stopped = True
            self.cond.notify()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.pending and not self.stopped:
                    self.cond.wait(timeout=1.0)
                if self.stopped:
                    return
            time.sleep(self.delay)  # let events of neighbouring requests join this POST
            with self.cond:
                batch, self.pending = self.pending, []
                targets = {key: list(value) for key, value in self.targets.items()}
            self._send(batch, targets)

    def _send(
        self, batch: list[tuple[str, dict[str, Any]]], targets: dict[str, list[dict[str, str]]]
    ) -> None:
        by_target: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for realm, entity in batch:
            for target in targets.get(realm, []) + targets.get(ALL_REALMS, []):
                by_target[(target["url"], target["verifier_token"])][realm].append(entity)
        for (url, token), realms in by_target.items():
            payload = {
                "eventNotifications": [
                    {"realmId": realm, "dataChangeEvent": {"entities": entities}}
                    for realm, entities in realms.items()
                ]
            }
            body = jsonutil.dumps(payload).encode()
            request = urllib.request.Request(  # noqa: S310 - targets are registered by tests
                url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "intuit-signature": sign(body, token)},
            )
            record: dict[str, Any] = {"url": url, "payload": payload}
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    record["status"] = response.status
            except OSError as exc:
                record["error"] = str(exc)
            with self.cond:
                self.deliveries.append(record)
