"""The service's operations on one company: create, update, delete, void, read, query, batch."""

from __future__ import annotations

import copy
from typing import Any

from . import errors, exchange, query, schema
from .entities import (
    COMMON_READ_ONLY,
    ENTITIES,
    GENERIC,
    NAME_LISTS,
    READ_ONLY_FIELDS,
    TRANSACTIONS,
    VOIDABLE,
    defaults,
    generic,
    names,
    purchasing,
    transactions,
)
from .entities.common import WriteContext
from .jsonutil import iso

MAX_BATCH_ITEMS = 30
MAX_ITEM_REQUESTID = 50
SPECIAL_IDS = {"TaxCode": frozenset({"TAX", "NON"})}


def _unsupported(operation: str, entity: str) -> errors.QBOFault:
    return errors.QBOFault(
        "500",
        f"Operation {operation} is not supported for {entity}.",
        message="Unsupported Operation",
    )


def _check_properties(entity: str, body: Any) -> None:
    if not isinstance(body, dict):
        raise errors.QBOFault("2010", f"The request body is not a {entity} object.", entity)
    unknown = schema.unknown_properties(entity, body)
    if unknown:
        raise errors.QBOFault(
            "2010",
            f"Property Name:{unknown[0]} specified is unsupported or invalid",
            unknown[0],
        )


def existing(ctx: WriteContext, entity: str, obj_id: Any) -> dict[str, Any]:
    """The stored record with this Id: 2030 for a malformed Id, 610 when there is none."""
    text = str(obj_id)
    if not (text.isdigit() or text in SPECIAL_IDS.get(entity, ())):
        raise errors.QBOFault("2030", f"Id {text} is not a valid {entity} Id", "Id")
    found = ctx.get(entity, text)
    if found is None:
        raise errors.inactive_ref()
    return found


def _check_sync(body: dict[str, Any], old: dict[str, Any]) -> None:
    token = body.get("SyncToken")
    if token in (None, ""):
        raise errors.required("SyncToken")
    if str(token) != old["SyncToken"]:
        raise errors.stale_object()


def save(
    ctx: WriteContext, entity: str, body: Any, *, force_create: bool = False
) -> dict[str, Any]:
    """Create (no Id) or update (Id + SyncToken; full or sparse) a record; return it."""
    if entity not in NAME_LISTS and entity not in TRANSACTIONS and entity not in GENERIC:
        raise _unsupported("Create/Update", entity)
    _check_properties(entity, body)
    old = None
    if body.get("Id") not in (None, "") and not force_create:
        old = existing(ctx, entity, body["Id"])
        _check_sync(body, old)
    skip = set(COMMON_READ_ONLY) | set(READ_ONLY_FIELDS.get(entity, ()))
    writable = {key: value for key, value in body.items() if key not in skip}
    sparse = body.get("sparse") in (True, "true")
    if old is not None and sparse:
        obj = copy.deepcopy(old)
        obj.update(writable)
    else:
        obj = writable
    if old is not None:
        obj["Id"] = old["Id"]
    if entity in NAME_LISTS:
        names.prepare(ctx, entity, obj, old)
    elif entity in GENERIC:
        generic.prepare(ctx, entity, obj, old)
    else:
        transactions.prepare(ctx, entity, obj, old)
    defaults.complete(ctx, entity, obj)
    now = iso(ctx.moment)
    if old is None:
        obj["Id"] = str(ctx.store.next_id(ctx.company, f"id:{entity}"))
        obj["SyncToken"] = "0"
        obj["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
    else:
        obj["SyncToken"] = str(int(old["SyncToken"]) + 1)
        obj["MetaData"] = {"CreateTime": old["MetaData"]["CreateTime"], "LastUpdatedTime": now}
    obj["domain"] = "QBO"
    obj["sparse"] = False
    ctx.store.put(ctx.company, entity, obj)
    ctx.events.append((entity, obj["Id"], "Create" if old is None else "Update"))
    _side_effects(ctx, entity, old, obj)
    return ctx.company.objects[entity][obj["Id"]]


def _bump(ctx: WriteContext, entity: str, new: dict[str, Any]) -> None:
    new["SyncToken"] = str(int(new["SyncToken"]) + 1)
    new["MetaData"] = {**new["MetaData"], "LastUpdatedTime": iso(ctx.moment)}
    ctx.store.put(ctx.company, entity, new)
    ctx.events.append((entity, new["Id"], "Update"))


def _side_effects(
    ctx: WriteContext, entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> None:
    if entity == "Bill":
        for po in purchasing.refresh_purchase_orders(
            ctx, purchasing.pos_of(old) | purchasing.pos_of(new)
        ):
            _bump(ctx, "PurchaseOrder", po)
        if new is not None:
            for bill in purchasing.refresh_bills(ctx, {new["Id"]}):
                ctx.store.put(ctx.company, "Bill", bill)  # same write, no second version
    elif entity == "BillPayment":
        for bill in purchasing.refresh_bills(
            ctx, purchasing.bills_of(old) | purchasing.bills_of(new)
        ):
            _bump(ctx, "Bill", bill)


def delete(ctx: WriteContext, entity: str, body: Any) -> dict[str, Any]:
    """Delete a transaction (name lists are deactivated instead)."""
    if entity not in TRANSACTIONS and not (entity in GENERIC and generic.is_transaction(entity)):
        raise _unsupported("Delete", entity)
    _check_properties(entity, body)
    if body.get("Id") in (None, ""):
        raise errors.required("Id")
    old = existing(ctx, entity, body["Id"])
    _check_sync(body, old)
    if entity == "Bill" and any(
        link.get("TxnType") == "BillPayment" for link in old.get("LinkedTxn", [])
    ):
        raise errors.business("This bill has payments applied; delete the payments first.")
    ctx.store.remove(ctx.company, entity, old["Id"], iso(ctx.moment))
    ctx.events.append((entity, old["Id"], "Delete"))
    _side_effects(ctx, entity, old, None)
    return {"Id": old["Id"], "status": "Deleted", "domain": "QBO"}


def void(ctx: WriteContext, entity: str, body: Any) -> dict[str, Any]:
    """Void an invoice or bill payment: amounts become zero, the record stays."""
    if entity not in VOIDABLE:
        raise _unsupported("Void", entity)
    _check_properties(entity, body)
    if body.get("Id") in (None, ""):
        raise errors.required("Id")
    old = existing(ctx, entity, body["Id"])
    _check_sync(body, old)
    new = copy.deepcopy(old)
    zero = 0
    for line in new["Line"]:
        line["Amount"] = zero
    new["TotalAmt"] = zero
    if "Balance" in new:
        new["Balance"] = zero
    if "HomeTotalAmt" in new:
        new["HomeTotalAmt"] = zero
    tax_detail = new.get("TxnTaxDetail")
    if tax_detail:
        tax_detail["TotalTax"] = zero
        for tax_line in tax_detail.get("TaxLine", []):
            tax_line["Amount"] = zero
    note = new.get("PrivateNote") or ""
    new["PrivateNote"] = note if note.startswith("Voided") else ("Voided " + note).strip()
    new["SyncToken"] = str(int(old["SyncToken"]) + 1)
    new["MetaData"] = {**old["MetaData"], "LastUpdatedTime": iso(ctx.moment)}
    ctx.store.put(ctx.company, entity, new)
    ctx.events.append((entity, new["Id"], "Void"))
    _side_effects(ctx, entity, old, new)
    return new


def read(ctx: WriteContext, entity: str, obj_id: str) -> dict[str, Any]:
    """Read one record."""
    return existing(ctx, entity, obj_id)


def run_query(ctx: WriteContext, text: str) -> dict[str, Any]:
    """Run a query; returns the QueryResponse body. Query errors become fault 4001."""
    try:
        parsed = query.parse(text, ENTITIES)
        if parsed.entity == exchange.ENTITY:
            rows: Any = exchange.rows(ctx)
        else:
            rows = ctx.company.objects[parsed.entity].values()
        listed = parsed.entity in NAME_LISTS or (
            parsed.entity in GENERIC and generic.name_list(parsed.entity)
        )
        return query.execute(parsed, rows, name_list=listed)
    except query.QueryError as exc:
        raise errors.QBOFault("4001", exc.detail, message=exc.message) from exc


def perform(ctx: WriteContext, entity: str, operation: str | None, body: Any) -> dict[str, Any]:
    """Dispatch a write by operation name (None = create or update by the presence of Id)."""
    if operation in (None, "", "create", "update"):
        if operation == "update" and isinstance(body, dict) and body.get("Id") in (None, ""):
            raise errors.required("Id")
        return save(ctx, entity, body, force_create=operation == "create")
    if operation == "delete":
        return delete(ctx, entity, body)
    if operation == "void":
        return void(ctx, entity, body)
    raise errors.QBOFault("2010", f"Invalid operation {operation}", "operation")


def batch_item(
    ctx: WriteContext, item: dict[str, Any], requestid: str | None = None
) -> dict[str, Any]:
    """Run one BatchItemRequest entry; faults become the item's Fault."""
    answer: dict[str, Any] = {"bId": item["bId"]}
    try:
        if requestid and len(requestid) + len(item["bId"]) > MAX_ITEM_REQUESTID:
            # Intuit derives each item's request id from requestid + bId; only the item whose
            # id runs over fails (qbo-api-notes "Batch").
            raise errors.business(
                "You cannot enter more than 50 characters in the request_id field "
                f"(requestid + bId {item['bId']}).",
                "bId",
            )
        if "Query" in item:
            answer["QueryResponse"] = run_query(ctx, str(item["Query"]))
            return answer
        entities = [key for key in item if key in ENTITIES]
        if len(entities) != 1:
            raise errors.QBOFault("2010", "A batch item needs exactly one entity or a Query.")
        entity = entities[0]
        answer[entity] = perform(ctx, entity, item.get("operation"), item[entity])
    except errors.QBOFault as fault:
        answer = {"bId": item["bId"], "Fault": fault.fault()}
    return answer


def check_batch(body: Any) -> list[dict[str, Any]]:
    """The items of a batch request; a fault for the whole request when malformed."""
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise errors.required("BatchItemRequest")
    if len(items) > MAX_BATCH_ITEMS:
        raise errors.QBOFault(
            "6000",
            f"Batch request has {len(items)} items; the maximum is {MAX_BATCH_ITEMS}.",
            "BatchItemRequest",
        )
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or item.get("bId") in (None, ""):
            raise errors.required("BatchItemRequest.bId")
        bid = str(item["bId"])
        if bid in seen:
            raise errors.QBOFault("2010", f"Duplicate bId {bid}", "bId")
        seen.add(bid)
        item["bId"] = bid
        if item.get("operation") not in (None, "create", "update", "delete", "void"):
            raise errors.QBOFault(
                "2010", f"Invalid batch operation {item.get('operation')}", "operation"
            )
    return items
