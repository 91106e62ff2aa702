"""The emulator instance: configuration, store, token server, throttle, faults, stats, webhooks."""

from __future__ import annotations

from typing import Any

from flask import current_app

from . import seed as seeding
from .config import DEV_CLIENT_ID, DEV_CLIENT_SECRET, Clock, EmulatorConfig
from .faults import FaultInjector
from .stats import Stats
from .store import Company, Persistence, Store
from .throttle import Limits, Throttle
from .tokens import TokenServer
from .webhooks import Webhooks

EXTENSION_KEY = "qbo_emulator"


class Emulator:
    """Everything one running emulator holds."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = Clock(config.time_scale)
        persistence = Persistence(config.state_file) if config.state_file else None
        self.store = Store(persistence)
        self.tokens = TokenServer(self.store, self.clock, config.rotate_refresh_tokens)
        self.tokens.register(DEV_CLIENT_ID, DEV_CLIENT_SECRET, list(config.redirect_uris))
        self.throttle = Throttle(
            self.clock,
            config.throttle,
            Limits(
                config.requests_per_minute, config.requests_per_second, config.batches_per_minute
            ),
        )
        self.faults = FaultInjector(self.clock)
        self.stats = Stats()
        self.webhooks = Webhooks(self.store, config.webhook_delay)
        if not self.store.companies:
            self.seed_initial()

    def seed_initial(self) -> None:
        """Create the first company as the `seed` setting says (none for "none")."""
        if self.config.seed in ("sample", "empty"):
            self.create_company(seed=self.config.seed)

    def create_company(
        self,
        name: str | None = None,
        country: str = "US",
        seed: str = "sample",
        multicurrency: bool = False,
        home_currency: str | None = None,
        sales_tax: str | None = None,
    ) -> Company:
        """A new company (realm); US companies use automated sales tax unless told "manual"."""
        if seed not in ("sample", "empty"):
            raise ValueError("seed must be sample or empty")
        country = seeding.country_code(country)
        seeding.sales_tax_model(country, sales_tax)  # refuse before a realm is allocated
        default = f"Sandbox Company_{country}_{len(self.store.companies) + 1}"
        return seeding.create_company(
            self.store, name or default, country, seed, multicurrency, home_currency, sales_tax
        )

    def set_time_scale(self, scale: float) -> None:
        """Change the time scale (new windows and new tokens use it)."""
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.clock.time_scale = float(scale)
        self.config.time_scale = float(scale)

    def set_limits(self, **limits: int) -> None:
        """Change the throttle windows (requests_per_minute, requests_per_second, ...)."""
        for name, value in limits.items():
            if value < 0:
                raise ValueError(f"{name} must be 0 (off) or positive")
            setattr(self.config, name, value)
        self.throttle.limits = Limits(
            self.config.requests_per_minute,
            self.config.requests_per_second,
            self.config.batches_per_minute,
        )
        self.throttle.reset()

    def reset(self) -> None:
        """Back to a fresh start: companies, grants, faults, stats, webhooks; re-seed."""
        self.store.reset()
        self.tokens.reset()
        self.faults.clear()
        self.stats.reset()
        self.throttle.reset()
        self.webhooks.clear()
        self.tokens.register(DEV_CLIENT_ID, DEV_CLIENT_SECRET, list(self.config.redirect_uris))
        self.seed_initial()

    def close(self) -> None:
        """Stop background work."""
        self.webhooks.stop()
        if self.store.persistence is not None:
            self.store.persistence.close()

    def describe(self) -> dict[str, Any]:
        """Companies and settings, for the control plane."""
        with self.store.lock:
            companies = [
                {
                    "realm_id": c.realm_id,
                    "name": c.name,
                    "country": c.country,
                    "home_currency": c.home_currency,
                    "multicurrency": c.multicurrency,
                    "sales_tax": sales_tax_of(c),
                }
                for c in self.store.companies.values()
            ]
        return {
            "companies": companies,
            "time_scale": self.clock.time_scale,
            "throttle": self.throttle.enabled,
            "limits": {
                "requests_per_minute": self.throttle.limits.per_minute,
                "requests_per_second": self.throttle.limits.per_second,
                "batches_per_minute": self.throttle.limits.batches_per_minute,
            },
            "rotate_refresh_tokens": self.tokens.rotate,
            "latency": {"request": self.config.latency,
                        "batch_item": self.config.batch_item_latency},
        }

    def set_latency(self, request: float, batch_item: float = 0.0) -> None:
        """How long answers take (real-service seconds, scaled by the time scale)."""
        if request < 0 or batch_item < 0:
            raise ValueError("latency cannot be negative")
        self.config.latency = float(request)
        self.config.batch_item_latency = float(batch_item)

    def answer_delay(self, batch_items: int) -> float:
        """Emulator seconds one answer takes: the request part plus each batch item's."""
        seconds = self.config.latency + self.config.batch_item_latency * batch_items
        return self.clock.window(seconds)


def sales_tax_of(company: Company) -> str:
    """ "automated" or "manual" (every non-US company counts as manual)."""
    return "automated" if company.automated_tax else "manual"


def current() -> Emulator:
    """The Emulator of the current Flask app."""
    return current_app.extensions[EXTENSION_KEY]
