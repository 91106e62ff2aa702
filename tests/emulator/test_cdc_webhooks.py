"""Change Data Capture and signed webhooks."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

from qbo_emulator.testing import RunningEmulator
from qbo_emulator.webhooks import sign

from .conftest import Api, fault


def _since(seconds: int = 5) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


def test_cdc_shape_and_deleted(api: Api) -> None:
    since = _since()
    customer = api.create("Customer", {"DisplayName": "CDC Person"})
    invoice = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": api.find("Item", "Design")["Id"]}},
                }
            ],
        },
    )
    api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    body = api.get("cdc", entities="Customer,Invoice", changedSince=since).json()
    responses = body["CDCResponse"][0]["QueryResponse"]
    customers = next(r for r in responses if "Customer" in r)
    assert customers["startPosition"] == 1 and customers["maxResults"] >= 1
    assert customer["Id"] in {c["Id"] for c in customers["Customer"]}
    invoices = next(r for r in responses if "Invoice" in r)["Invoice"]
    assert {"Id": invoice["Id"], "status": "Deleted"}.items() <= invoices[-1].items()
    assert "time" in body


def test_cdc_limits(api: Api) -> None:
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    assert fault(api.get("cdc", entities="Customer", changedSince=old))["code"] == "6000"
    # TimeActivity is outside CDC: its entry carries a Fault, the request itself succeeds.
    unsupported = api.get("cdc", entities="TimeActivity", changedSince=_since())
    assert unsupported.status_code == 200
    entry = unsupported.json()["CDCResponse"][0]["QueryResponse"][0]
    assert entry["Fault"]["Error"][0]["code"] == "2010"
    assert "LastUpdatedTime" in entry["Fault"]["Error"][0]["Detail"]
    everything = api.get(
        "cdc", entities="Customer,Vendor,Account,Item", changedSince=_since(3600)
    ).json()
    total = sum(r.get("maxResults", 0) for r in everything["CDCResponse"][0]["QueryResponse"])
    assert 0 < total <= 1000


class _Sink(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["intuit-signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


def test_signature_vector() -> None:
    assert sign(b'{"stuff":"5"}', "verify_me") == "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="


def test_webhook_events_are_signed_and_async(emulator: RunningEmulator, api: Api) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        emulator.control(
            "POST",
            "webhooks",
            {"realm": api.company.realm_id, "url": url, "verifier_token": "secret-token"},
        )
        customer = api.create("Customer", {"DisplayName": "Hooked"})
        api.create(
            "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"}
        )
        invoice = api.create(
            "Invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [
                    {
                        "Amount": 5,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            },
        )
        api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
        api.post("invoice", {"Id": invoice["Id"], "SyncToken": "1"}, operation="delete")
        deadline = time.time() + 5
        seen: list[tuple[str, str]] = []
        while time.time() < deadline and len(seen) < 5:
            time.sleep(0.05)
            seen = []
            for body, signature in list(_Sink.received):
                assert signature == sign(body, "secret-token")
                for note in json.loads(body)["eventNotifications"]:
                    assert note["realmId"] == api.company.realm_id
                    for entity in note["dataChangeEvent"]["entities"]:
                        assert entity["lastUpdated"]
                        seen.append((entity["name"], entity["operation"]))
        assert seen == [
            ("Customer", "Create"),
            ("Customer", "Update"),
            ("Invoice", "Create"),
            ("Invoice", "Void"),
            ("Invoice", "Delete"),
        ]
    finally:
        emulator.control("DELETE", "webhooks")
        server.shutdown()
        server.server_close()
