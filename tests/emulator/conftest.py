# ruff: noqa: S608 - the "SQL" here is QBO query text
"""Fixtures: one emulator served over real HTTP for the session, a fresh company per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from qbo_emulator.testing import Company, RunningEmulator, run_emulator


class Api:
    """A tiny HTTP client for one company's Accounting API."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.session = requests.Session()
        self.session.headers.update(company.headers)

    def url(self, path: str) -> str:
        """Absolute URL below the company base."""
        return f"{self.company.base_url}/{path.lstrip('/')}"

    def get(self, path: str, **params: Any) -> requests.Response:
        """GET with minorversion."""
        return self.session.get(self.url(path), params={"minorversion": "75", **params}, timeout=10)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        """POST JSON with minorversion."""
        return self.session.post(
            self.url(path), json=body, params={"minorversion": "75", **params}, timeout=10
        )

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create and return the record; fails the test on a fault."""
        response = self.post(entity.lower(), body)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def query(self, text: str) -> dict[str, Any]:
        """Run a query (POST, application/text) and return QueryResponse."""
        response = self.session.post(
            self.url("query"),
            data=text.encode(),
            params={"minorversion": "75"},
            headers={"Content-Type": "application/text"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["QueryResponse"]

    def find(self, entity: str, name: str) -> dict[str, Any]:
        """A seeded record by name."""
        key = "DisplayName" if entity in ("Customer", "Vendor", "Employee") else "Name"
        escaped = name.replace("'", "\\'")
        return self.query(f"select * from {entity} where {key} = '{escaped}'")[entity][0]


def fault(response: requests.Response) -> dict[str, Any]:
    """The first Error of a fault answer (401s use lower-case keys: fault/error/message)."""
    body = response.json()
    if "fault" in body:
        return {key.capitalize() if key in ("message", "detail") else key: value
                for key, value in body["fault"]["error"][0].items()}
    return body["Fault"]["Error"][0]


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    """The emulator for the whole session (throttling on, sample seed).

    These tests drive the API by hand, as fast as the machine allows and with no rate limiter,
    so QBO's 10-a-second window is off here; test_limits.py and test_throttle_faults.py check
    every window on emulators of their own.
    """
    running = run_emulator(seed="none", requests_per_second=0)
    yield running
    running.stop()


@pytest.fixture
def company(emulator: RunningEmulator) -> Iterator[Company]:
    """A fresh sample company with a token; fault rules are cleared afterwards."""
    created = emulator.create_company()
    yield created
    emulator.control("DELETE", "faults")


@pytest.fixture
def api(company: Company) -> Api:
    """HTTP client of the test's company."""
    return Api(company)


@pytest.fixture
def manual_api(emulator: RunningEmulator) -> Iterator[Api]:
    """HTTP client of a fresh US company on manual sales tax (tax codes decide the rate)."""
    yield Api(emulator.create_company(sales_tax="manual"))
    emulator.control("DELETE", "faults")
