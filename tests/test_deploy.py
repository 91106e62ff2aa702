"""The deployment files: systemd units and the settings file every process shares."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.config import BASE_DIR
from app.config_check import CONFIG_EXIT_STATUS

UNITS = sorted((BASE_DIR / "deploy" / "systemd").glob("*.service"))
ENV_EXAMPLE = BASE_DIR / "deploy" / "ledgerhub.env.example"
INSTALL_DIR = "/opt/ledgerhub"
ENV_FILE = "/etc/ledgerhub/ledgerhub.env"


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path)
    return parser


def _exec(path: Path) -> list[str]:
    return shlex.split(_unit(path)["Service"]["ExecStart"])


def test_the_units_parse_and_share_one_settings_file() -> None:
    assert {u.name for u in UNITS} == {"ledgerhub-web@.service", "ledgerhub-worker.service",
                                       "ledgerhub-worker-no-cron@.service"}
    for path in UNITS:
        unit = _unit(path)
        assert unit.sections() == ["Unit", "Service", "Install"], path.name
        service = unit["Service"]
        assert service["EnvironmentFile"] == ENV_FILE
        assert service["WorkingDirectory"] == INSTALL_DIR
        assert service["RestartPreventExitStatus"] == str(CONFIG_EXIT_STATUS)
        assert service["User"] == "ledgerhub"


def test_the_units_start_the_real_entry_points() -> None:
    from gunicorn.config import Config as GunicornConfig

    web = _exec(BASE_DIR / "deploy/systemd/ledgerhub-web@.service")
    assert web[0] == f"{INSTALL_DIR}/.venv/bin/gunicorn" and web[-1] == "wsgi:app"
    options = GunicornConfig().parser().parse_args(web[1:])  # gunicorn's own option parser
    assert options.bind == ["127.0.0.1:%i"] and options.workers == 3

    cron = [u for u in UNITS if "worker" in u.name and "--no-cron" not in _exec(u)]
    assert [u.name for u in cron] == ["ledgerhub-worker.service"]  # exactly one cron scheduler
    for path in UNITS:
        argv = _exec(path)
        if "worker" in path.name:
            assert argv[:2] == [f"{INSTALL_DIR}/.venv/bin/python", "worker.py"]
            assert set(argv[2:]) <= {"--no-cron"}
            assert (BASE_DIR / "worker.py").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is absent")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent
    names = []
    for path in UNITS:
        text = (path.read_text().replace(f"{INSTALL_DIR}/.venv", str(venv))
                .replace(INSTALL_DIR, str(BASE_DIR)).replace(ENV_FILE, str(ENV_EXAMPLE)))
        instance = path.name.replace("@.service", "@1.service")
        (tmp_path / instance).write_text(text)
        names.append(f"./{instance}")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *names],  # noqa: S603, S607
                            cwd=tmp_path, capture_output=True, text=True, timeout=240,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr and "ignoring" not in result.stderr, result.stderr


def _example_settings() -> dict[str, str]:
    settings = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key] = value
    return settings


def test_the_settings_file_names_only_what_the_app_reads() -> None:
    read = set(re.findall(r"""(?:_env|_env_bool|os\.environ\.get)\(\s*"([A-Z_]+)""",
                          (BASE_DIR / "app" / "config.py").read_text()))
    named = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert named <= read
    # The demo's own and the test-suite's are not for a real install.
    assert read - named <= {"LEDGERHUB_INSTANCE_DIR", "TEST_DATABASE_URL", "QBO_EMULATOR_URL"}


@pytest.mark.slow
def test_the_settings_file_once_filled_in_starts_every_process_kind() -> None:
    settings = _example_settings()
    settings.update(SECRET_KEY=os.urandom(32).hex(),
                    TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                    QBO_CLIENT_ID="ABc123", QBO_CLIENT_SECRET=os.urandom(20).hex())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBO_", "LEDGERHUB_"))}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "--help"],  # noqa: S603
                            cwd=BASE_DIR, env={**env, **settings}, capture_output=True,
                            text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    empty = {**env, **_example_settings()}  # as installed, before the secrets are filled in
    refused = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "--help"],  # noqa: S603
                             cwd=BASE_DIR, env=empty, capture_output=True, text=True,
                             timeout=240, check=False)
    assert refused.returncode == CONFIG_EXIT_STATUS and "SECRET_KEY is not set" in refused.stderr
