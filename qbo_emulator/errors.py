"""QBO faults: the exception raised by rules and the JSON/XML bodies the service returns."""

from __future__ import annotations

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
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}

    def body(self) -> dict[str, Any]:
        """The whole response body."""
        return {"Fault": self.fault(), "time": time_field()}


def required(element: str) -> QBOFault:
    """2020 for a missing required property."""
    return QBOFault(
        "2020",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_ref(element: str, value: Any) -> QBOFault:
    """2500 for a reference to a record that does not exist."""
    return QBOFault(
        "2500",
        f"Invalid Reference Id : Something you're trying to use does not exist: {element} "
        f"value {value!s}",
        element,
    )


def inactive_ref(element: str, value: Any) -> QBOFault:
    """610 for a reference to an inactive or deleted record."""
    return QBOFault(
        "610",
        "Object Not Found : Something you're trying to use has been made inactive. Check the "
        f"fields with accounts, customers, items, vendors or employees. ({element} {value!s})",
        element,
    )


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


def throttle_xml() -> str:
    """The XML body of a 429, which QBO sends even to JSON clients."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse time="{time_field()}"><Fault type="SERVICE"><Error code="3001">'
        "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
        "<Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"
    )
