"""`make soak` at N=200 as part of the suite: nothing duplicated or lost under faults and kills."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.soak import run_soak


@pytest.mark.slow
@pytest.mark.timeout(900)  # two workers, faults, kills and a Redis restart: minutes, not seconds
def test_soak_copies_everything_exactly_once(app: Flask, database_url: str,
                                             tmp_path: Path) -> None:
    report = run_soak(200, database_url, tmp_path)
    print(report.line())
    assert report.kills == 2 and report.redis_restarts == 1
    assert report.faults_injected > 0
    assert (report.duplicates, report.lost) == (0, 0), report.line()
    assert report.linked == report.records == 200, report.line()
    assert not report.problems, report.problems
