"""Companies and their records: per-realm dicts under one lock, optional SQLite write-through."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from . import jsonutil

PEOPLE = frozenset({"Customer", "Vendor", "Employee"})


def name_group(entity: str) -> str:
    """The uniqueness scope of a name: Customer, Vendor and Employee share one."""
    return "People" if entity in PEOPLE else entity


def name_of(entity: str, obj: dict[str, Any]) -> str | None:
    """The name that must be unique for a name-list record."""
    if entity in PEOPLE:
        return obj.get("DisplayName")
    return obj.get("FullyQualifiedName") or obj.get("Name")


class Company:
    """One QBO company (realm): its records, tombstones, counters and stored requestid answers."""

    def __init__(self, realm_id: str, name: str, country: str) -> None:
        self.realm_id = realm_id
        self.name = name
        self.country = country
        self.objects: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.tombstones: dict[str, dict[str, str]] = defaultdict(dict)
        self.counters: dict[str, int] = {}
        self.requests: dict[str, tuple[int, str]] = {}
        self.names: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)

    @property
    def us(self) -> bool:
        """True for a US company (TAX/NON sales tax model)."""
        return self.country == "US"

    @property
    def automated_tax(self) -> bool:
        """True for a US company on automated sales tax (Preferences.TaxPrefs.PartnerTaxEnabled)."""
        prefs = self.objects["Preferences"].get("1") or {}
        return self.us and bool((prefs.get("TaxPrefs") or {}).get("PartnerTaxEnabled"))

    @property
    def preferences(self) -> dict[str, Any]:
        """The Preferences record."""
        return self.objects["Preferences"]["1"]

    @property
    def home_currency(self) -> str:
        """Home currency code."""
        return self.preferences["CurrencyPrefs"]["HomeCurrency"]["value"]

    @property
    def multicurrency(self) -> bool:
        """Whether multi-currency is on."""
        return bool(self.preferences["CurrencyPrefs"]["MultiCurrencyEnabled"])

    def get(self, entity: str, obj_id: str) -> dict[str, Any] | None:
        """A stored record or None."""
        return self.objects[entity].get(obj_id)

    def find_name(self, entity: str, name: str) -> tuple[str, str] | None:
        """(entity, id) of the record holding a name in the entity's uniqueness group."""
        return self.names[name_group(entity)].get(name.casefold())

    def meta(self) -> dict[str, Any]:
        """What is persisted about the company besides its records."""
        return {"name": self.name, "country": self.country, "counters": self.counters}


class Persistence:
    """Write-through SQLite storage of companies, records and global (OAuth, webhook) state."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS companies (realm TEXT PRIMARY KEY, meta TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS objects (realm TEXT, entity TEXT, id TEXT, body TEXT,
                PRIMARY KEY (realm, entity, id));
            CREATE TABLE IF NOT EXISTS tombstones (realm TEXT, entity TEXT, id TEXT, at TEXT,
                PRIMARY KEY (realm, entity, id));
            CREATE TABLE IF NOT EXISTS requests (realm TEXT, requestid TEXT, status INTEGER,
                body TEXT, PRIMARY KEY (realm, requestid));
            CREATE TABLE IF NOT EXISTS globals (kind TEXT, key TEXT, value TEXT,
                PRIMARY KEY (kind, key));
            """
        )

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self.db.execute(sql, params)

    def save_company(self, company: Company) -> None:
        """Upsert a company's meta row."""
        self._exec(
            "INSERT OR REPLACE INTO companies VALUES (?, ?)",
            (company.realm_id, jsonutil.dumps(company.meta())),
        )

    def save_object(
        self, realm: str, entity: str, obj: dict[str, Any], key: str | None = None
    ) -> None:
        """Upsert one record (``key`` for records without an Id, such as exchange rates)."""
        self._exec(
            "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)",
            (realm, entity, key or obj["Id"], jsonutil.dumps(obj)),
        )

    def delete_object(self, realm: str, entity: str, obj_id: str, at: str) -> None:
        """Remove a record and keep its tombstone."""
        self._exec(
            "DELETE FROM objects WHERE realm=? AND entity=? AND id=?", (realm, entity, obj_id)
        )
        self._exec(
            "INSERT OR REPLACE INTO tombstones VALUES (?, ?, ?, ?)", (realm, entity, obj_id, at)
        )

    def save_request(self, realm: str, requestid: str, status: int, body: str) -> None:
        """Remember the answer to a requestid."""
        self._exec(
            "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?)", (realm, requestid, status, body)
        )

    def save_global(self, kind: str, key: str, value: Any) -> None:
        """Upsert a global value (None deletes it)."""
        if value is None:
            self._exec("DELETE FROM globals WHERE kind=? AND key=?", (kind, key))
        else:
            self._exec(
                "INSERT OR REPLACE INTO globals VALUES (?, ?, ?)",
                (kind, key, jsonutil.dumps(value)),
            )

    def load_globals(self, kind: str) -> dict[str, Any]:
        """All values of one kind."""
        rows = self.db.execute("SELECT key, value FROM globals WHERE kind=?", (kind,))
        return {key: jsonutil.loads(value) for key, value in rows}

    def load_companies(self) -> list[Company]:
        """Every stored company with its records."""
        companies: dict[str, Company] = {}
        for realm, meta_text in self.db.execute("SELECT realm, meta FROM companies"):
            meta = jsonutil.loads(meta_text)
            company = Company(realm, meta["name"], meta["country"])
            company.counters = {k: int(v) for k, v in meta["counters"].items()}
            companies[realm] = company
        for realm, entity, obj_id, body in self.db.execute("SELECT * FROM objects"):
            if realm in companies:
                companies[realm].objects[entity][obj_id] = jsonutil.loads(body)
        for realm, entity, obj_id, at in self.db.execute("SELECT * FROM tombstones"):
            if realm in companies:
                companies[realm].tombstones[entity][obj_id] = at
        for realm, requestid, status, body in self.db.execute("SELECT * FROM requests"):
            if realm in companies:
                companies[realm].requests[requestid] = (status, body)
        for company in companies.values():
            for entity, rows in company.objects.items():
                for obj in rows.values():
                    _index_name(company, entity, obj)
        return list(companies.values())

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self.db.close()

    def clear(self) -> None:
        """Forget everything."""
        for table in ("companies", "objects", "tombstones", "requests", "globals"):
            self._exec(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def _index_name(company: Company, entity: str, obj: dict[str, Any]) -> None:
    name = name_of(entity, obj) if entity in NAME_INDEXED else None
    if name:
        company.names[name_group(entity)][name.casefold()] = (entity, obj["Id"])


NAME_INDEXED = frozenset(
    {"Customer", "Vendor", "Employee", "Item", "Account", "Class", "Term", "PaymentMethod"}
)


class Store:
    """All companies. Hold `lock` around every read-modify-write."""

    def __init__(self, persistence: Persistence | None = None) -> None:
        self.lock = threading.RLock()
        self.companies: dict[str, Company] = {}
        self.persistence = persistence
        if persistence is not None:
            for company in persistence.load_companies():
                self.companies[company.realm_id] = company

    def new_company(self, name: str, country: str) -> Company:
        """Create and register an empty company with a fresh realm id."""
        with self.lock:
            realm = "9341" + "".join(secrets.choice("0123456789") for _ in range(12))
            while realm in self.companies:
                realm = "9341" + "".join(secrets.choice("0123456789") for _ in range(12))
            company = Company(realm, name, country)
            self.companies[realm] = company
            self.save_meta(company)
            return company

    def save_meta(self, company: Company) -> None:
        """Persist the company's meta row."""
        if self.persistence is not None:
            self.persistence.save_company(company)

    def next_id(self, company: Company, counter: str) -> int:
        """Allocate the next number of a per-company counter (Ids, DocNumbers)."""
        value = company.counters.get(counter, 0) + 1
        company.counters[counter] = value
        self.save_meta(company)
        return value

    def put(
        self, company: Company, entity: str, obj: dict[str, Any], key: str | None = None
    ) -> None:
        """Store a record (replacing the previous version; stored dicts are never mutated).

        ``key`` names records that have no Id (an exchange rate is keyed by currency and date).
        """
        if key is not None:
            company.objects[entity][key] = obj
            if self.persistence is not None:
                self.persistence.save_object(company.realm_id, entity, obj, key)
            return
        old = company.objects[entity].get(obj["Id"])
        if entity in NAME_INDEXED:
            group = company.names[name_group(entity)]
            if old is not None:
                old_name = name_of(entity, old)
                if old_name and group.get(old_name.casefold()) == (entity, obj["Id"]):
                    del group[old_name.casefold()]
            _index_name(company, entity, obj)
        company.objects[entity][obj["Id"]] = obj
        if self.persistence is not None:
            self.persistence.save_object(company.realm_id, entity, obj)

    def remove(self, company: Company, entity: str, obj_id: str, at: str) -> None:
        """Delete a record, keeping a tombstone for CDC."""
        company.objects[entity].pop(obj_id, None)
        company.tombstones[entity][obj_id] = at
        if self.persistence is not None:
            self.persistence.delete_object(company.realm_id, entity, obj_id, at)

    def remember_request(self, company: Company, requestid: str, status: int, body: str) -> None:
        """Keep the answer of a request carrying a requestid."""
        company.requests[requestid] = (status, body)
        if self.persistence is not None:
            self.persistence.save_request(company.realm_id, requestid, status, body)

    def save_global(self, kind: str, key: str, value: Any) -> None:
        """Persist global (non-company) state when a state file is used."""
        if self.persistence is not None:
            self.persistence.save_global(kind, key, value)

    def load_globals(self, kind: str) -> dict[str, Any]:
        """Load global state of one kind (empty without a state file)."""
        return self.persistence.load_globals(kind) if self.persistence is not None else {}

    def reset(self) -> None:
        """Drop every company."""
        with self.lock:
            self.companies.clear()
            if self.persistence is not None:
                self.persistence.clear()
