"""Emulator settings (command line flags and environment variables map onto these)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:5000/admin/qbo/callback",
    "http://localhost:5000/admin/qbo/callback",
)
DEV_CLIENT_ID = "ledgerhub-dev"
DEV_CLIENT_SECRET = "ledgerhub-dev-secret"  # noqa: S105 - the public development client


@dataclass
class EmulatorConfig:
    """Everything configurable about one emulator instance."""

    seed: str = "sample"  # sample | empty | none: the first company's content
    state_file: str | None = None  # SQLite file; in-memory when None
    time_scale: float = 1.0  # every time window is this many times shorter
    throttle: bool = True
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    rotate_refresh_tokens: bool = True
    webhook_delay: float = 0.2  # seconds events are batched before a webhook POST
    stall_seconds: float = 30.0  # default stall of `timeout_after_commit` faults in stall mode
    # QBO's limits per realm and app (qbo-api-notes "Limits"); 0 switches one window off.
    requests_per_minute: int = 500
    requests_per_second: int = 10
    batches_per_minute: int = 40
    # How long an answer takes, in real-service seconds (scaled like every window): a fixed
    # part for every request and a part per batch item. 0 answers as fast as it can.
    latency: float = 0.0
    batch_item_latency: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> EmulatorConfig:
        """Defaults, then QBO_EMULATOR_* environment variables, then explicit overrides."""
        env = os.environ if env is None else env
        config = cls()
        uris = env.get("QBO_EMULATOR_REDIRECT_URIS")
        if uris:
            config.redirect_uris = tuple(u.strip() for u in uris.split(",") if u.strip())
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        return config


class Clock:
    """Scales time windows: with time_scale N, a 60 s window lasts 60/N s.

    Tests may also move the clock forward, so a window can be made to pass without sleeping.
    """

    def __init__(self, time_scale: float = 1.0) -> None:
        self.time_scale = float(time_scale)
        self.offset = 0.0

    def window(self, seconds: float) -> float:
        """A real-service duration in emulator seconds."""
        return seconds / self.time_scale

    def now(self) -> float:
        """Monotonic emulator time in seconds (including any advance)."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump forward by a real-service duration (scaled like every window)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += self.window(seconds)
