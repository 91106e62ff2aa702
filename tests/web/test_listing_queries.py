"""Listing pages send the same few SQL statements however many rows they show."""

from __future__ import annotations

import re

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


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="ids" value="(\d+)"', page)]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_row_is_on_exactly_one_page_of_a_sort_with_ties(
        app: Flask, auth: object, users: dict[str, object], monkeypatch: pytest.MonkeyPatch,
        direction: str) -> None:
    # Every entry is open: sorted by status they all tie, and the id orders them. Pages in the
    # back half are read from the other end and must still continue the front half exactly.
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", "test-token-encryption-key")
    _connect_qbo()
    seed({"invoices": 1, "clients": 2, "hours": 11, "events": 1}, users["owner"].id)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    client = auth.login("owner")
    seen = []
    for page in range(1, 5):
        response = client.get(f"/my/hours?sort=status&dir={direction}&page={page}")
        assert response.status_code == 200
        seen.extend(_ids(response.get_data(as_text=True)))
    ids = sorted(seen, reverse=direction == "desc")
    assert len(seen) == 11 and seen == ids
    # Dates tie too (11 entries over 11 days, two pages sorted by date hold mirrored halves).
    by_date = [_ids(client.get(f"/my/hours?sort=date&dir=asc&page={p}").get_data(as_text=True))
               for p in range(1, 5)]
    assert sorted(i for page in by_date for i in page) == sorted(seen)


def test_invoice_search_reaches_the_client_name_and_the_number(
        app: Flask, auth: object, users: dict[str, object],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", "test-token-encryption-key")
    _connect_qbo()
    # Invoice i belongs to client 1 + i % 5: INV0000001 and INV0000006 to the second client.
    seed({"invoices": 10, "clients": 5, "hours": 1, "events": 1}, users["owner"].id)
    client = auth.login("owner")
    page = client.get("/invoices/?q=ALPHA+client+000002").get_data(as_text=True)
    assert set(re.findall(r"INV\d{7}", page)) == {"INV0000001", "INV0000006"}
    page = client.get("/invoices/?q=inv0000006").get_data(as_text=True)
    assert set(re.findall(r"INV\d{7}", page)) == {"INV0000006"}
    # Sorted by client, the join the sort needs does not change what the search selects.
    page = client.get("/invoices/?q=client+000002&sort=client").get_data(as_text=True)
    assert set(re.findall(r"INV\d{7}", page)) == {"INV0000001", "INV0000006"}
