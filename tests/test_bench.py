"""`make bench` in its quick mode as part of the suite: every figure is measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks.run import TARGETS, main


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_quick_bench_writes_every_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # The page benchmark drops and recreates every table of TEST_DATABASE_URL's database, and
    # enqueues jobs: it gets its own SQLite file and Redis here, away from the suite's.
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    output = tmp_path / "bench-results.json"
    assert main(["--quick", "--output", str(output)]) == 0
    figures = json.loads(output.read_text())["figures"]
    assert set(figures) == set(TARGETS)
    for key, value in figures.items():
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
    assert "page_p95_ms" in capsys.readouterr().out
