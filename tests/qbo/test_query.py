"""Query text building: literals are always escaped, field names always checked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.qbo.query import (
    and_,
    count_query,
    quote,
    select_query,
    where_eq,
    where_in,
    where_like,
    where_op,
)


def _unquote(literal: str) -> str:
    """Read a literal back the way QBO's query parser does."""
    assert literal[0] == literal[-1] == "'"
    out, i, inner = [], 0, literal[1:-1]
    while i < len(inner):
        if inner[i] == "\\":
            out.append(inner[i + 1])
            i += 2
        else:
            assert inner[i] != "'", "unescaped quote"
            out.append(inner[i])
            i += 1
    return "".join(out)


def test_quote_values() -> None:
    assert quote("O'Brien") == r"'O\'Brien'"
    assert quote("back\\slash") == r"'back\\slash'"
    assert quote("ends\\") == r"'ends\\'"
    assert quote(True) == "true" and quote(False) == "false"
    assert quote(12) == "12" and quote(Decimal("1.50")) == "1.50"
    assert quote(date(2024, 1, 2)) == "'2024-01-02'"
    assert quote(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "'2024-01-02T03:04:05+00:00'"
    with pytest.raises(TypeError):
        quote(1.5)  # type: ignore[arg-type]


@given(st.text())
def test_quote_round_trips(value: str) -> None:
    assert _unquote(quote(value)) == value


def test_clauses() -> None:
    assert where_eq("DisplayName", "O'Brien") == r"DisplayName = 'O\'Brien'"
    assert where_in("Id", ["1", "2"]) == "Id IN ('1', '2')"
    assert where_in("Active", [True, False]) == "Active IN (true, false)"
    assert where_like("Name", "Lab%") == "Name LIKE 'Lab%'"
    assert where_op("MetaData.LastUpdatedTime", ">", "2024-01-01") == (
        "MetaData.LastUpdatedTime > '2024-01-01'"
    )
    assert and_(where_eq("A", 1), None, where_eq("B", 2)) == "A = 1 AND B = 2"
    with pytest.raises(ValueError):
        where_in("Id", [])
    with pytest.raises(ValueError):
        where_eq("Name = 'x' OR 1", "y")
    with pytest.raises(ValueError):
        where_op("Name", "!=", "y")


def test_select_and_count() -> None:
    assert (
        select_query("Customer", [where_eq("Active", True)], order_by="Id", start_position=1001,
                     max_results=1000)
        == "SELECT * FROM Customer WHERE Active = true ORDERBY Id"
        " STARTPOSITION 1001 MAXRESULTS 1000"
    )  # fmt: skip
    assert count_query("Item") == "SELECT COUNT(*) FROM Item"
    with pytest.raises(ValueError):
        select_query("Customer", max_results=1500)
    with pytest.raises(ValueError):
        select_query("Customer", start_position=0)
