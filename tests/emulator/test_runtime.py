"""Start-up options: state file across restarts, command line, seeds, reset."""

from __future__ import annotations

from pathlib import Path

import requests

from qbo_emulator.__main__ import parse_args
from qbo_emulator.config import EmulatorConfig
from qbo_emulator.testing import run_emulator


def test_state_file_keeps_companies_and_tokens(tmp_path: Path) -> None:
    state = str(tmp_path / "qbo.sqlite")
    with run_emulator(seed="sample", state_file=state) as first:
        realm = first.control("GET", "companies")[0]["realm_id"]
        company = first.connect(realm)
        created = requests.post(
            f"{company.base_url}/customer",
            json={"DisplayName": "Kept"},
            headers=company.headers,
            timeout=10,
        ).json()["Customer"]
    with run_emulator(seed="sample", state_file=state) as second:
        assert [c["realm_id"] for c in second.control("GET", "companies")] == [realm]
        read = requests.get(
            f"{company.base_url.replace(first.url, second.url)}/customer/{created['Id']}",
            headers=company.headers,
            timeout=10,
        )
        assert read.status_code == 200 and read.json()["Customer"]["DisplayName"] == "Kept"
        again = requests.post(
            f"{second.api_base(realm)}/customer",
            json={"DisplayName": "Kept"},
            headers=company.headers,
            timeout=10,
        )
        assert again.json()["Fault"]["Error"][0]["code"] == "6240"


def test_command_line_and_environment() -> None:
    args = parse_args(
        [
            "--port",
            "5100",
            "--seed",
            "empty",
            "--time-scale",
            "60",
            "--no-throttle",
            "--redirect-uri",
            "http://x/cb",
            "--redirect-uri",
            "http://y/cb",
        ]
    )
    assert (args.port, args.seed, args.time_scale, args.no_throttle) == (5100, "empty", 60, True)
    assert args.redirect_uris == ["http://x/cb", "http://y/cb"]
    config = EmulatorConfig.from_env({"QBO_EMULATOR_REDIRECT_URIS": "http://a/cb, http://b/cb"})
    assert config.redirect_uris == ("http://a/cb", "http://b/cb")


def test_seeds_and_reset() -> None:
    with run_emulator(seed="empty") as running:
        realm = running.control("GET", "companies")[0]["realm_id"]
        company = running.connect(realm)
        customers = requests.get(
            f"{company.base_url}/query",
            params={"query": "select count(*) from Customer"},
            headers=company.headers,
            timeout=10,
        ).json()
        assert customers["QueryResponse"]["totalCount"] == 0
        sample = running.create_company(seed="sample", sales_tax="manual")
        stats = running.control("GET", f"stats?realm={sample.realm_id}")["objects"]
        assert stats["Customer"]["active"] >= 30 and stats["Vendor"]["active"] >= 20
        assert stats["Employee"]["active"] >= 2 and stats["TaxCode"]["active"] == 3
        after = running.control("POST", "reset")
        assert len(after["companies"]) == 1 and after["companies"][0]["realm_id"] != realm
        assert (
            requests.get(
                f"{company.base_url}/preferences", headers=company.headers, timeout=10
            ).status_code
            == 401
        )
