"""What the push and import pages answer when a run cannot be handed to the job queue."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from werkzeug.wrappers import Response

from app.sync.runs import QueueUnavailable

QUEUE_DOWN_ADVICE = ("Try again shortly; if it persists, check that Redis and the workers are "
                     "running (/healthz shows both).")


def queue_unavailable(exc: QueueUnavailable, back: str) -> Response | tuple[str, int]:
    """Say that Redis is down and the run was recorded as failed (503 fragment or flash)."""
    message = f"{exc} {QUEUE_DOWN_ADVICE}"
    if request.headers.get("HX-Request"):
        return render_template("qbo/_notice.html", level="danger", message=message), 503
    flash(message, "danger")
    return redirect(back)
