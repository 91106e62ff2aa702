"""RQ worker entry point: ``python worker.py [--no-cron] [--burst]``.

Run as many workers as needed, on any number of machines; run the cron scheduler (the default)
on exactly one of them, or pass ``--no-cron`` to the others. A worker checks the same settings
as the web app before it takes a job, and that its token key opens the stored QuickBooks
tokens; it refuses to start (status 4) rather than fail every job. An unreachable database or
Redis exits with status 1, for the process manager to try again.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, Worker
from rq.cron import CronScheduler

from app.config_check import CONFIG_EXIT_STATUS, ConfigError
from app.extensions import db

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this child the moment its parent dies, however it dies.

    Without it a SIGKILLed worker leaves its work horse copying to QuickBooks and its cron
    scheduler running, and the next start stacks a second scheduler beside the orphan.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the request above took effect
        os._exit(1)


class LedgerhubWorker(Worker):
    """RQ's forking worker whose work horses never outlive it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent_pid = os.getpid()

    def main_work_horse(self, job: Any, queue: Any) -> None:
        """Tie the horse's life to the worker's, then do the work."""
        die_with_parent(self._parent_pid)
        from app.sync.jobs import after_fork

        after_fork()
        super().main_work_horse(job, queue)


def _run_cron(redis_url: str, parent_pid: int) -> None:
    """Run RQ's cron scheduler with Ledgerhub's recurring jobs (a child process)."""
    from app.sync.schedule import register_cron_jobs

    die_with_parent(parent_pid)

    scheduler = CronScheduler(connection=Redis.from_url(redis_url), name="ledgerhub-cron")
    register_cron_jobs(scheduler)
    scheduler.start()


def _refusal() -> int | None:
    """The exit status when this worker must not start (the reasons go to stderr), else None."""
    from app.startup import stored_token_problems, unreachable_services

    try:
        app = _application()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return CONFIG_EXIT_STATUS
    unreachable = unreachable_services(app)
    if unreachable:
        print("Ledgerhub worker cannot start yet:\n" + "\n".join(f"  - {p}" for p in unreachable),
              file=sys.stderr)
        return 1
    problems = stored_token_problems(app)
    if problems:
        print("Ledgerhub worker cannot start:\n" + "\n".join(f"  - {p}" for p in problems),
              file=sys.stderr)
        return CONFIG_EXIT_STATUS
    with app.app_context():
        db.engine.dispose()  # no connection opened for the checks is shared with a job's fork
    return None


def _application() -> Flask:
    """The app the jobs use, created here once so every job's process inherits it."""
    from app.sync.jobs import _application as application

    return application()


def main(argv: list[str] | None = None) -> int:
    """Start a worker (and, unless told otherwise, the cron scheduler beside it)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-cron", action="store_true", help="do not run the cron scheduler")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    status = _refusal()
    if status is not None:
        return status
    config = _application().config
    connection = Redis.from_url(config["REDIS_URL"])
    cron = None
    if not args.no_cron and not args.burst:
        cron = multiprocessing.get_context("spawn").Process(
            target=_run_cron, args=(config["REDIS_URL"], os.getpid()), name="ledgerhub-cron",
            daemon=True
        )
        cron.start()
    from app.sync.jobs import preload

    preload()  # once here, not in every job's freshly forked work horse
    try:
        worker = LedgerhubWorker([Queue(config["RQ_QUEUE"], connection=connection)],
                                 connection=connection)
        worker.work(burst=args.burst, with_scheduler=False)
    finally:
        if cron is not None and cron.is_alive():
            cron.terminate()
            cron.join(5)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
