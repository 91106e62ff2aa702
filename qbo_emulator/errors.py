"""QBO faults: the exception raised by rules and the JSON/XML bodies the service returns."""

from __future__ import annotations

import time
from typing import Any

from .jsonutil import time_field

MESSAGES = {
    "500": "Unsupported Operation",
    "610": "Object Not Found",
    "2010": "Request has invalid or unsupported property",
    "2020": "Required param missing, need to supply the required value for the API",
    "2030": "Invalid ID",
    "2050": "Invalid String",
    "2500": "Invalid Reference Id",
    "4001": "Invalid query",
    "5010": "Stale Object Error",
    "6000": "A business validation error has occurred while processing your request",
    "6070": "Amount is not equal to UnitPrice * Qty",
    "6140": "Duplicate Document Number Error",
    "6240": "Duplicate Name Exists Error",
    "10000": "An application error has occurred while processing your request",
}


class QBOFault(Exception):
    """A fault the emulated service answers with (one Error entry)."""

    def __init__(
        self,
        code: str,
        detail: str = "",
        element: str = "",
        *,
        message: str | None = None,
        status: int = 400,
        fault_type: str = "ValidationFault",
    ) -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, "Error")
        self.detail = detail or self.message
        self.element = element
        self.status = status
        self.fault_type = fault_type
        super().__init__(f"{code}: {self.detail}")

    def fault(self) -> dict[str, Any]:
        """The `Fault` object (also used inside batch item responses)."""
        return fault_body([self], self.fault_type)

    def body(self) -> dict[str, Any]:
        """The whole response body."""
        if self.status == 401:
            return auth_body(self)
        return {"Fault": self.fault(), "time": time_field()}


def fault_body(faults: list[QBOFault], fault_type: str) -> dict[str, Any]:
    """The generic `Fault` object: every Error carries `element`, which QBO mostly leaves ""."""
    return {
        "Error": [
            {"Message": f.message, "Detail": f.detail, "code": f.code, "element": f.element}
            for f in faults
        ],
        "type": fault_type,
    }


def auth_body(fault: QBOFault) -> dict[str, Any]:
    """A 401 body, in the lower-case shape recorded from the real sandbox (qbo-api-notes "OAuth").

    Its `time` is epoch milliseconds, unlike the ISO time of every other fault.
    """
    error = {"message": fault.message, "detail": fault.detail, "code": fault.code}
    return {
        "fault": {"error": [error], "type": fault.fault_type},
        "time": int(time.time() * 1000),
    }


def required(element: str) -> QBOFault:
    """2020 for a missing required property."""
    return QBOFault(
        "2020",
        f"Required parameter {element} is missing in the request",
        element,
    )


# Name-list references answer "Names element id <n> not found" (qbo-api-notes "Faults");
# other references name the path, as recorded from the service:
# "Invalid Reference Id : Line.SalesItemLineDetail.ItemRef" (intuit/QuickBooks-V3-PHP-SDK#102).
_NAME_TARGETS = frozenset({"Customer", "Vendor", "Employee"})


def invalid_ref(element: str, value: Any, target: str | tuple[str, ...] | None = None) -> QBOFault:
    """2500 for a reference to a record that does not exist."""
    kinds = {target} if isinstance(target, str) else set(target or ())
    if kinds and kinds <= _NAME_TARGETS:
        detail = f"Invalid Reference Id : Names element id {value!s} not found"
    else:
        detail = f"Invalid Reference Id : {element}"
    return QBOFault("2500", detail, element)


# Recorded Detail of 610 (intuit/QuickBooks-V3-DotNET-SDK#353).
INACTIVE_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. Check the fields "
    "with accounts, customers, items, vendors or employees."
)


def inactive_ref(element: str = "", value: Any = None) -> QBOFault:
    """610 for a reference to an inactive or deleted record (the Detail does not name it)."""
    del value  # QBO's text names no record; callers pass it for symmetry with invalid_ref
    return QBOFault("610", INACTIVE_DETAIL, element)


def stale_object(user: str = "API API") -> QBOFault:
    """5010: the SyncToken is not the current one (recorded: routablehq/python-quickbooks#127)."""
    return QBOFault(
        "5010",
        f"Stale Object Error : You and {user} were working on this at the same time. "
        f"{user} finished before you did, so your work was not saved.",
    )


def duplicate_name(entity: str = "Customer", name: str = "") -> QBOFault:
    """6240: the name is taken (recorded for people: intuit/QuickBooks-V3-PHP-SDK#241)."""
    if entity in _NAME_TARGETS or not name:
        detail = (
            "The name supplied already exists. : Another customer, vendor or employee is "
            "already using this name. Please use a different name."
        )
    else:
        # No recording of the text for items, classes or accounts was found: QBO's prefix
        # (qbo-api-notes "Faults"), then the name.
        detail = f"The name supplied already exists. : {name}"
    return QBOFault("6240", detail)


def business(detail: str, element: str = "") -> QBOFault:
    """6000, the generic business validation error."""
    return QBOFault("6000", detail, element)


def auth_failed(detail: str = "Token invalid or expired") -> QBOFault:
    """401 / 3200."""
    return QBOFault(
        "3200",
        detail,
        message="message=AuthenticationFailed; errorCode=003200; statusCode=401",
        status=401,
        fault_type="AUTHENTICATION",
    )


def forbidden(detail: str = "The token is not valid for this company") -> QBOFault:
    """403 / 3100."""
    return QBOFault(
        "3100",
        detail,
        message="message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        status=403,
        fault_type="AUTHORIZATION",
    )


def _service_fault_xml(code: str, message: str, detail: str | None) -> str:
    """An XML SERVICE fault in Intuit's namespace, as the gateway sends it to every client."""
    detail_xml = f"<Detail>{detail}</Detail>" if detail else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse time="{time_field()}" xmlns="{INTUIT_NAMESPACE}">'
        f'<Fault type="SERVICE"><Error code="{code}"><Message>{message}</Message>{detail_xml}'
        "</Error></Fault></IntuitResponse>"
    )


INTUIT_NAMESPACE = "http://schema.intuit.com/finance/v3"


def throttle_xml() -> str:
    """The XML body of a 429, which QBO sends even to JSON clients.

    As recorded (intuit/QuickBooks-V3-PHP-SDK#54, ruckus/quickbooks-ruby#348): time, then
    Intuit's namespace on IntuitResponse; the Detail keeps Intuit's two spaces. No Retry-After
    header has been reported with it, so the emulator sends none.
    """
    return _service_fault_xml(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later",
    )


def gateway_timeout_xml() -> str:
    """The XML body of the 504 for a request that ran past QBO's 120 s ceiling.

    Recorded from production (mcohen01/node-quickbooks#242): code 6002, no Detail.
    """
    return _service_fault_xml(
        "6002", "message=GatewayTimeout; errorCode=006002; statusCode=504", None
    )
