"""Listing pages send the same few SQL statements however many rows they show."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.benchmarks.bench_pages import _connect_qbo, counting_statements, seed


@pytest.mark.parametrize("url", ["/clients/", "/invoices/", "/my/hours"])
def test_listing_statements_do_not_grow_with_rows(app: Flask, auth: object, url: str,
                                                  users: dict[str, object],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", "test-token-encryption-key")
    _connect_qbo()
    seed({"invoices": 40, "clients": 40, "hours": 40, "events": 5}, users["owner"].id)
    client = auth.login("owner")
    client.get(url)  # the first request after signing in also settles the session
    counts, pages = [], []
    for size in (5, 20):
        monkeypatch.setitem(app.config, "PAGE_SIZE", size)
        with counting_statements() as counter:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(counter[0])
        pages.append(response.get_data(as_text=True))
    assert counts[0] == counts[1], counts
    # Every other record is linked (with an older copy) and the badges still tell them apart.
    assert "Changed since copied" in pages[1] and "Not in QBO" in pages[1]
