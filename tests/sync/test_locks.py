"""One lock design for pushes and imports: what blocks what, heartbeat, loss and waiting."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from app.sync.locks import LockBusy, LockLost, RealmLock


@pytest.fixture()
def redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


def _realm() -> str:
    return f"lock-test-{uuid.uuid4().hex[:8]}"


def test_a_second_run_of_the_same_kind_waits_until_the_first_releases(redis: Redis) -> None:
    realm = _realm()
    first = RealmLock(redis, "push", realm, 3)
    first.acquire()
    second = RealmLock(redis, "push", realm, 3)
    waits: list[float] = []
    got = threading.Event()

    def take() -> None:
        second.acquire(waiting=lambda: waits.append(time.monotonic()))
        got.set()

    thread = threading.Thread(target=take)
    thread.start()
    assert not got.wait(2.5)  # still held by the first
    assert waits, "the wait is reported while it lasts"
    first.release()
    assert got.wait(5)
    thread.join(5)
    second.release()


def test_push_and_import_and_other_companies_do_not_block_each_other(redis: Redis) -> None:
    realm = _realm()
    held = [RealmLock(redis, "push", realm, 3), RealmLock(redis, "import", realm, 3),
            RealmLock(redis, "push", _realm(), 3), RealmLock(redis, "import", _realm(), 3)]
    try:
        for lock in held:
            lock.acquire(give_up_after=0.5)
    finally:
        for lock in held:
            lock.release()


def test_an_impatient_run_gives_up_with_its_message(redis: Redis) -> None:
    realm = _realm()
    first = RealmLock(redis, "import", realm, 3)
    first.acquire()
    try:
        started = time.monotonic()
        with pytest.raises(LockBusy, match="Another import of this company"):
            RealmLock(redis, "import", realm, 3).acquire(
                give_up_after=0.3, busy="Another import of this company is still running.")
        assert time.monotonic() - started < 2.5
    finally:
        first.release()
    # LockBusy stays a RuntimeError: callers that caught that before still do.
    assert issubclass(LockBusy, RuntimeError)


def test_the_heartbeat_keeps_the_lock_past_its_lease(redis: Redis) -> None:
    realm = _realm()
    lock = RealmLock(redis, "push", realm, 1)
    lock.acquire()
    try:
        time.sleep(2.5)  # more than twice the lease: only the heartbeat keeps it
        lock.check()
        with pytest.raises(LockBusy):
            RealmLock(redis, "push", realm, 1).acquire(give_up_after=0.2)
    finally:
        lock.release()
    after = RealmLock(redis, "push", realm, 1)
    after.acquire(give_up_after=0.5)
    after.release()


def test_a_lost_lock_stops_the_run(redis: Redis) -> None:
    realm = _realm()
    lock = RealmLock(redis, "push", realm, 1)
    lock.acquire()
    redis.delete(f"ledgerhub:push:{realm}")  # as after a Redis restart
    deadline = time.monotonic() + 5
    while not lock.lost and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(LockLost, match="lost its lock"):
        lock.check()
    lock.release()  # an expired lock is released quietly
