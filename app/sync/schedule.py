"""Recurring work, registered with RQ's built-in cron scheduler."""

from __future__ import annotations

from rq.cron import CronScheduler

from app.config import config_for


def register_cron_jobs(scheduler: CronScheduler) -> None:
    """Register Ledgerhub's recurring jobs on the scheduler."""
    from app.sync import jobs

    config = config_for()
    queue = config.RQ_QUEUE
    # Keep the QuickBooks refresh token alive: it expires after 100 days without use.
    scheduler.register(jobs.keep_connection_alive, queue, interval=6 * 3600)
    # A run whose worker died is noticed within RUN_DEAD_SECONDS plus this interval.
    scheduler.register(jobs.reap_dead_runs, queue, interval=15)
    if config.SYNC_LOG_RETENTION_DAYS > 0:
        # Daily at a quiet hour (RQ's cron reads the machine's local time), so the sync log
        # does not grow without bound.
        scheduler.register(jobs.prune_sync_log, queue, cron="17 3 * * *",
                           args=(config.SYNC_LOG_RETENTION_DAYS,))
