"""The deployment files: systemd units and the settings file every process shares."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
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
    # Each instance's control socket in its own runtime directory (gunicorn reads XDG's).
    service = _unit(BASE_DIR / "deploy/systemd/ledgerhub-web@.service")["Service"]
    assert service["RuntimeDirectory"] == "ledgerhub-web-%i"
    assert service["Environment"] == "XDG_RUNTIME_DIR=%t/ledgerhub-web-%i"

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
    # The demo's own (make run), the asset download's and the test-suite's are not for a real
    # install.
    assert read - named <= {"LEDGERHUB_INSTANCE_DIR", "TEST_DATABASE_URL", "QBO_EMULATOR_URL",
                            "PORT", "QBO_EMULATOR_PORT", "NPM_REGISTRY"}


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _raw(port: int, request: bytes) -> bytes:
    """Send ``request`` as is and read the whole answer (gunicorn closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def _wait_for(port: int, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped: {server.communicate()[1][-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not listen in time")


@pytest.mark.slow
def test_production_answers_carry_no_version_banner(tmp_path: Path) -> None:
    """gunicorn, started with the web unit's own options, names no version of itself or Python.

    Since gunicorn 20.1 its Server header is a bare "gunicorn" (benoitc/gunicorn#2233, asked for
    in #825) and it has no setting to change it; the app must not add a second Server header.
    The reverse proxy in front sends its own Server header: the README's nginx example
    switches its version off.
    """
    import gunicorn

    argv = _exec(BASE_DIR / "deploy/systemd/ledgerhub-web@.service")
    port = _free_port()
    argv[0] = str(Path(sys.executable).parent / "gunicorn")
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    argv[argv.index("--workers") + 1] = "1"  # one is enough to answer, and the machine is shared
    settings = _example_settings()
    settings.update(SECRET_KEY=os.urandom(32).hex(),
                    TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                    QBO_CLIENT_ID="ABc123", QBO_CLIENT_SECRET=os.urandom(20).hex(),
                    # Nothing listens on port 9: /healthz answers 503, no shared service is used.
                    DATABASE_URL="postgresql://ledgerhub:x@127.0.0.1:9/ledgerhub",
                    REDIS_URL="redis://127.0.0.1:9/0",
                    XDG_RUNTIME_DIR=str(tmp_path))  # gunicorn's control socket goes here
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBO_", "LEDGERHUB_"))}
    server = subprocess.Popen(argv, cwd=BASE_DIR,
                              env={**env, **settings}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(port, server, time.monotonic() + 120)
        answers = {path: _raw(port, f"GET {path} HTTP/1.1\r\nHost: ledgerhub.example.com\r\n"
                                    "Connection: close\r\n\r\n".encode())
                   for path in ("/login", "/healthz", "/no-such-page", "/static/app.css")}
        # A request gunicorn refuses itself, before the app sees it.
        answers["malformed"] = _raw(port, b"GARBAGE\r\n\r\n")
    finally:
        server.terminate()
        server.communicate(timeout=60)
    assert [a.split(b" ", 2)[1] for a in answers.values()] == [b"200", b"503", b"404", b"200",
                                                               b"400"]
    versions = (gunicorn.__version__, f"{sys.version_info.major}.{sys.version_info.minor}.")
    for name, answer in answers.items():
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")[1:]
        servers = [line.split(":", 1)[1].strip() for line in lines
                   if line.lower().startswith("server:")]
        assert servers in ([], ["gunicorn"]), (name, servers)
        assert not any(line.lower().startswith(("x-powered-by", "via:")) for line in lines)
        for version in versions:
            assert version not in head.decode("latin-1"), (name, version)
            assert version.encode() not in body or name == "/static/app.css", (name, version)
        assert b"gunicorn/" not in body and b"Werkzeug" not in answer, name


def test_the_documented_proxy_hides_its_version() -> None:
    """nginx sends its own Server header (it drops the upstream's): without a version."""
    readme = (BASE_DIR / "README.md").read_text()
    block = re.search(r"```nginx\n(.*?)```", readme, re.S)
    assert block is not None
    assert re.search(r"^\s*server_tokens off;", block.group(1), re.M)
