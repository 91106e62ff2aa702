"""Change Data Capture: what changed in a company since a moment, deleted records included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors
from .entities import CDC_UNSUPPORTED, ENTITIES
from .entities.common import WriteContext
from .jsonutil import iso

LOOKBACK_DAYS = 30
MAX_OBJECTS = 1000
CDC_ENTITIES = {name.lower(): name for name in ENTITIES if name not in CDC_UNSUPPORTED}


def _parse_entities(text: str | None) -> list[tuple[str, str | None]]:
    """(name as asked, entity or None when CDC cannot answer for it), without repeats."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not names:
        raise errors.required("entities")
    result: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        result.append((name, CDC_ENTITIES.get(name.lower())))
    return result


def _unanswered(name: str) -> dict[str, Any]:
    """The per-entity Fault for a name CDC does not serve.

    The XSD lets each QueryResponse of a CDCResponse hold a Fault instead of objects, and a
    client listing one unfamiliar entity must still get the others (qbo-api-notes "Entities a
    real company holds"), so only this entry fails.
    """
    hint = (
        " (query it by MetaData.LastUpdatedTime instead)."
        if name.lower() in {e.lower() for e in CDC_UNSUPPORTED}
        else "."
    )
    fault = errors.QBOFault(
        "2010", f"Entity {name} is not supported by Change Data Capture{hint}", "entities"
    )
    return {"Fault": fault.fault()}


def _parse_since(text: str | None) -> datetime:
    if not text:
        raise errors.required("changedSince")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise errors.QBOFault("2010", f"Invalid changedSince {text}", "changedSince") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def changes(
    ctx: WriteContext, entities: str | None, changed_since: str | None, lookback_seconds: float
) -> dict[str, Any]:
    """The CDCResponse body for `entities` changed at or after `changed_since`."""
    names = _parse_entities(entities)
    since = _parse_since(changed_since)
    if since < ctx.moment - timedelta(seconds=lookback_seconds):
        raise errors.QBOFault(
            "6000",
            f"changedSince {changed_since} is more than {LOOKBACK_DAYS} days in the past.",
            "changedSince",
        )
    # MetaData times are second-precision UTC strings, so string order is time order.
    floor = iso(since.replace(microsecond=0))
    budget = MAX_OBJECTS
    responses = []
    for name, entity in names:
        if entity is None:
            responses.append(_unanswered(name))
            continue
        rows: list[dict[str, Any]] = [
            row
            for row in ctx.company.objects[entity].values()
            if row.get("MetaData", {}).get("LastUpdatedTime", "") >= floor
        ]
        rows.sort(key=lambda row: row["MetaData"]["LastUpdatedTime"])
        rows += [
            {
                "Id": obj_id,
                "status": "Deleted",
                "domain": "QBO",
                "MetaData": {"LastUpdatedTime": at},
            }
            for obj_id, at in ctx.company.tombstones[entity].items()
            if at >= floor
        ]
        rows = rows[:budget]
        budget -= len(rows)
        if rows:
            responses.append({entity: rows, "startPosition": 1, "maxResults": len(rows)})
        else:
            responses.append({"startPosition": 1, "maxResults": 0})
    return {"CDCResponse": [{"QueryResponse": responses}]}
