"""What the client does after a failed attempt: retry, refresh the token, pause, or give up."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from app.qbo.faults import AuthenticationError, QBOError, ServerError, ThrottledError

__all__ = ["THROTTLE_WAIT_MAX", "Action", "Decision", "RetryPolicy"]

# qbo-api-notes "Limits": on 429 Intuit says wait 60 s. QBO has not been seen to send
# Retry-After (the recorded 429s in intuit/QuickBooks-V3-PHP-SDK#54 and
# ruckus/quickbooks-ruby#348 show only the XML body), so the configured wait applies unless
# one arrives; any wait is capped here.
THROTTLE_WAIT_MAX = 60.0


class Action(enum.Enum):
    """The next step after an attempt that did not succeed."""

    RETRY = "retry"  # send again after a back-off
    REFRESH = "refresh"  # get a new access token, then send again at once
    PAUSE = "pause"  # 429: hold every call for the realm, then send again
    RAISE = "raise"  # give up


@dataclass(frozen=True)
class Decision:
    """An action and how long to wait before it."""

    action: Action
    delay: float = 0.0


@dataclass
class RetryPolicy:
    """One call's retry state: counts attempts and decides what follows each failure.

    ``write`` calls track whether an attempt may have reached QBO: from then on the outcome
    stays unknown until an answer arrives (a later 5xx does not prove the earlier attempt did
    nothing), and with ``resend_unknown`` off such a write is never sent again: the caller
    looks for its own write first.
    """

    max_retries: int
    backoff_base: float
    backoff_cap: float
    throttle_wait: float = THROTTLE_WAIT_MAX
    rng: random.Random = field(default_factory=random.Random)
    write: bool = False
    resend_unknown: bool = True
    retries: int = 0
    refreshed: bool = False
    unknown: bool = False

    def after_no_answer(self, maybe_sent: bool = True) -> Decision:
        """The connection failed or timed out (maybe_sent: the request may have left)."""
        self.unknown = self.unknown or (self.write and maybe_sent)
        return self._hold_back(self._retry(retryable=True))

    def after_fault(self, fault: QBOError) -> Decision:
        """QBO answered with a fault."""
        self.unknown = self.unknown or leaves_outcome_unknown(fault, self.write)
        return self._hold_back(self._after_fault(fault))

    def gives_up_unconfirmed(self, fault: QBOError) -> bool:
        """After RAISE: a retryable fault on a write that may have landed is "outcome unknown"."""
        return fault.retryable and self.unknown

    def _hold_back(self, decision: Decision) -> Decision:
        """A write that may have landed is not resent when the caller looks for it first."""
        if self.unknown and not self.resend_unknown and decision.action in (
            Action.RETRY,
            Action.PAUSE,
        ):
            return Decision(Action.RAISE)
        return decision

    def _after_fault(self, fault: QBOError) -> Decision:
        if fault.status == 401 and isinstance(fault, AuthenticationError) and not self.refreshed:
            # One refresh per call: a second 401 means the new token is no good either.
            self.refreshed = True
            return Decision(Action.REFRESH)
        if isinstance(fault, ThrottledError):
            decision = self._retry(fault.retryable)
            if decision.action is Action.RAISE:
                return decision
            # Other apps share the realm's budget: the client pauses every process's calls
            # for the realm (through the limiter in Redis), then sends again.
            return Decision(Action.PAUSE, self.throttle_pause(fault.retry_after))
        return self._retry(fault.retryable)

    def throttle_pause(self, retry_after: float | None) -> float:
        """The wait after a 429: what QBO asked for, else the configured wait; at most 60 s."""
        wanted = self.throttle_wait if retry_after is None else retry_after
        return max(0.0, min(wanted, self.backoff_cap, THROTTLE_WAIT_MAX))

    def _retry(self, retryable: bool) -> Decision:
        if not retryable or self.retries >= self.max_retries:
            return Decision(Action.RAISE)
        self.retries += 1
        return Decision(Action.RETRY, self.backoff())

    def backoff(self) -> float:
        """Exponential backoff with full jitter: spread retries so workers do not stampede."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (self.retries - 1)))
        return self.rng.uniform(0, ceiling)


def leaves_outcome_unknown(fault: QBOError, write: bool) -> bool:
    """A 5xx does not prove a write was not applied."""
    return write and isinstance(fault, ServerError)
