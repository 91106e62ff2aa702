"""CompanyInfo reports the country as ISO-3 ("USA"); Ledgerhub reads both forms."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import QboConnection
from app.qbo.connection import is_us
from tests.conftest import Auth
from tests.web.test_qbo_connect import connect


def test_an_iso3_us_company_is_a_us_company(qbo_app: Flask, auth: Auth, emulator: object) -> None:
    realm = emulator.control("POST", "companies", {"name": "Alpha Three Inc"})["realm_id"]
    connect(auth.login("qboadmin"), realm)
    row = db.session.scalar(select(QboConnection))
    assert row.country == "USA"
    assert is_us(row.country)


def test_a_canadian_company_is_not(qbo_app: Flask, auth: Auth, emulator: object) -> None:
    realm = emulator.control("POST", "companies", {"name": "Maple Ltd", "country": "CA"})[
        "realm_id"
    ]
    connect(auth.login("qboadmin"), realm)
    row = db.session.scalar(select(QboConnection))
    assert row.country == "CAN" and row.home_currency == "CAD"
    assert not is_us(row.country)
