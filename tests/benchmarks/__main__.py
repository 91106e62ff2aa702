"""``python -m tests.benchmarks``: every benchmark, bench-results.json and a table."""

from __future__ import annotations

from tests.benchmarks.run import main

raise SystemExit(main())
