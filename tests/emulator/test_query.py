# ruff: noqa: S608 - the "SQL" built here is QBO query text for the parser under test
from __future__ import annotations

from decimal import Decimal

import pytest

from qbo_emulator.query import Condition, Query, QueryError, execute, parse

ENTITIES = ["Customer", "Vendor", "Invoice", "TimeActivity", "Item", "PurchaseOrder", "Class"]


def q(text: str) -> Query:
    return parse(text, ENTITIES)


def run(text: str, rows: list[dict], *, name_list: bool = False) -> dict:
    return execute(q(text), rows, name_list=name_list)


def ids(response: dict, entity: str = "Customer") -> list[str]:
    return [row["Id"] for row in response.get(entity, [])]


def parse_error(text: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        q(text)
    return info.value


# --------------------------------------------------------------------------- parse


def test_select_star_has_qbo_defaults() -> None:
    assert q("SELECT * FROM Customer") == Query(
        entity="Customer",
        count=False,
        conditions=(),
        order_by=(),
        start_position=1,
        max_results=100,
        mentions_active=False,
    )


@pytest.mark.parametrize(
    "text",
    [
        "select * from customer",
        "SELECT * FROM CUSTOMER",
        "Select * From cUsToMeR",
        "  select\n*\tfrom   Customer  ",
    ],
)
def test_keywords_and_entity_names_are_case_insensitive(text: str) -> None:
    assert q(text).entity == "Customer"


def test_entity_name_comes_back_as_spelled_by_the_caller() -> None:
    assert q("select * from purchaseorder").entity == "PurchaseOrder"
    assert q("select * from TIMEACTIVITY").entity == "TimeActivity"


def test_count_star() -> None:
    assert q("SELECT COUNT(*) FROM Invoice").count is True
    query = q("select count( * ) from Customer where Active = true")
    assert query.count is True
    assert query.conditions == (Condition("Active", "=", True),)


def test_where_with_and_and_every_operator() -> None:
    query = q(
        "select * from Invoice where TxnDate >= '2024-01-01' AND TxnDate <= '2024-12-31'"
        " and Balance > 0 and TotalAmt < 100.50 and DocNumber = '1001'"
    )
    assert query.conditions == (
        Condition("TxnDate", ">=", "2024-01-01"),
        Condition("TxnDate", "<=", "2024-12-31"),
        Condition("Balance", ">", Decimal("0")),
        Condition("TotalAmt", "<", Decimal("100.50")),
        Condition("DocNumber", "=", "1001"),
    )


def test_operators_need_no_surrounding_spaces() -> None:
    assert q("select * from Customer where Balance>=10").conditions == (
        Condition("Balance", ">=", Decimal("10")),
    )


def test_escaped_quote_in_string() -> None:
    query = q(r"select * from Customer where DisplayName = 'O\'Brien Landscaping'")
    assert query.conditions == (Condition("DisplayName", "=", "O'Brien Landscaping"),)


def test_escaped_backslash_in_string() -> None:
    query = q(r"select * from Customer where Notes = 'C:\\temp\\x' and DisplayName = 'a\'b'")
    assert query.conditions[0].value == "C:\\temp\\x"
    assert query.conditions[1].value == "a'b"


def test_string_keeps_keywords_and_spaces_verbatim() -> None:
    query = q("select * from Customer where DisplayName = 'Select * from OR and WHERE  '")
    assert query.conditions[0].value == "Select * from OR and WHERE  "


def test_in_lists() -> None:
    query = q("select * from Customer where Id IN ('1', '22','333') and Active in (true,false)")
    assert query.conditions == (
        Condition("Id", "IN", ("1", "22", "333")),
        Condition("Active", "IN", (True, False)),
    )
    assert q("select * from Item where Id in (5)").conditions[0].value == (Decimal("5"),)


def test_like() -> None:
    query = q(r"select * from Customer where DisplayName LIKE '%O\'Bri%'")
    assert query.conditions == (Condition("DisplayName", "LIKE", "%O'Bri%"),)


def test_dotted_fields() -> None:
    query = q(
        "select * from TimeActivity where MetaData.LastUpdatedTime > '2024-05-01T10:00:00-07:00'"
        " orderby MetaData.LastUpdatedTime"
    )
    assert query.conditions[0].field == "MetaData.LastUpdatedTime"
    assert query.order_by == (("MetaData.LastUpdatedTime", False),)


@pytest.mark.parametrize("keyword", ["ORDERBY", "ORDER BY", "orderby", "order   by", "Order By"])
def test_order_by_spellings(keyword: str) -> None:
    query = q(f"select * from Customer {keyword} DisplayName DESC, Id asc, Balance")
    assert query.order_by == (("DisplayName", True), ("Id", False), ("Balance", False))


def test_paging_clauses() -> None:
    query = q("select * from Customer where Active = true startposition 201 maxresults 1000")
    assert (query.start_position, query.max_results) == (201, 1000)
    query = q("select * from Customer MAXRESULTS 5 STARTPOSITION 11")
    assert (query.start_position, query.max_results) == (11, 5)
    assert q("select * from Customer maxresults 1").max_results == 1


def test_full_query_with_every_clause() -> None:
    query = q(
        "SELECT * FROM Invoice WHERE CustomerRef = '58' AND TxnDate > '2024-01-01' "
        "ORDER BY TxnDate DESC STARTPOSITION 1 MAXRESULTS 50"
    )
    assert query.entity == "Invoice"
    assert len(query.conditions) == 2
    assert query.order_by == (("TxnDate", True),)
    assert query.max_results == 50


def test_mentions_active() -> None:
    assert q("select * from Customer where Active IN (true,false)").mentions_active
    assert q("select * from Customer where active = false").mentions_active
    assert not q("select * from Customer where DisplayName = 'Active'").mentions_active
    assert not q("select * from Customer orderby Active").mentions_active


def test_booleans_and_numbers_are_typed() -> None:
    query = q("select * from Item where Taxable = TRUE and UnitPrice = -2.5 and Active = false")
    assert [c.value for c in query.conditions] == [True, Decimal("-2.5"), False]
    assert isinstance(query.conditions[0].value, bool)


def test_query_error_carries_qbo_fault_fields() -> None:
    error = parse_error("select * from Spaceship")
    assert isinstance(error, Exception)
    assert error.code == "4001"
    assert error.message == "Invalid query"
    assert "Spaceship" in error.detail
    assert error.detail.startswith("QueryValidationError")
    assert "Spaceship" in str(error)


@pytest.mark.parametrize(
    ("text", "detail_part"),
    [
        ("select * from Customer where DisplayName = 'a' OR DisplayName = 'b'", "OR"),
        ("select * from Customer where Active = true or Active = false", "OR"),
        ("select * from Customer where DisplayName != 'a'", "!="),
        ("select * from Customer where DisplayName <> 'a'", "<>"),
        ("select Id, DisplayName from Customer", "Selecting properties"),
        ("select DisplayName from Customer", "Selecting properties"),
        ("select *, Id from Customer", "Selecting properties"),
        ("select count(*), Id from Customer", "Selecting properties"),
        ("select * from Customer maxresults 1500", "MAXRESULTS"),
        ("select * from Customer maxresults 1001", "MAXRESULTS"),
        ("select * from Customer maxresults 0", "MAXRESULTS"),
        ("select * from Customer startposition 0", "STARTPOSITION"),
        ("select * from Customer maxresults 10.5", "integer"),
        ("select * from Customer maxresults '10'", "integer"),
        ("select * from Customer maxresults", "integer"),
        ("select * from Customer maxresults 10 maxresults 20", "more than once"),
        ("select * from Spaceship", "Spaceship"),
        ("select * from", "entity"),
        ("select * Customer", "FROM"),
        ("select from Customer", "COUNT"),
        ("from Customer", "SELECT"),
        ("", "SELECT"),
        ("select * from Customer where", "property"),
        ("select * from Customer where DisplayName", "operator"),
        ("select * from Customer where DisplayName =", "value"),
        ("select * from Customer where DisplayName = 'unterminated", "Unterminated"),
        ("select * from Customer where DisplayName = 'a' and", "property"),
        ("select * from Customer where Id in ()", "value"),
        ("select * from Customer where Id in ('1', '2'", '")"'),
        ("select * from Customer where Id in '1'", '"("'),
        ("select * from Customer where DisplayName like 5", "LIKE"),
        ("select * from Customer where DisplayName = abc", "value"),
        ("select * from Customer order DisplayName", "BY"),
        ("select * from Customer orderby", "property"),
        ("select * from Customer c join Invoice i", '"c"'),
        ("select * from Customer join Invoice", "JOIN"),
        ("select * from Customer group by DisplayName", "GROUP"),
        ("select * from Customer;", ";"),
        ("select * from Customer where Balance = 1abc", '"1"'),
        ("select count(Id) from Customer", '"*"'),
    ],
)
def test_invalid_queries(text: str, detail_part: str) -> None:
    error = parse_error(text)
    assert error.code == "4001"
    assert detail_part in error.detail, error.detail


def test_doubled_quote_is_not_an_escape() -> None:
    # QBO escapes with a backslash; SQL-style '' ends the string and leaves junk behind.
    parse_error("select * from Customer where DisplayName = 'O''Brien'")


def test_unknown_entity_uses_the_callers_list() -> None:
    assert parse("select * from Widget", ["Widget"]).entity == "Widget"
    with pytest.raises(QueryError):
        parse("select * from Customer", ["Widget"])


# --------------------------------------------------------------------------- execute


def customer(id_: int, name: str, **extra: object) -> dict:
    return {"Id": str(id_), "DisplayName": name, "Active": True, **extra}


PEOPLE = [
    customer(10, "Zed Ltd", Balance=0, Notes="x"),
    customer(2, "O'Brien Landscaping", Balance=250.5, CurrencyRef={"value": "EUR"}),
    customer(1, "amy's bird sanctuary", Balance=100),
    customer(7, "Bill's Windsurf Shop", Balance="85.00", Active=False),
    customer(3, "Cool Cars", Balance=0, CurrencyRef={"value": "USD", "name": "US Dollar"}),
]


def test_default_order_is_id_numeric_ascending() -> None:
    assert ids(run("select * from Customer", PEOPLE)) == ["1", "2", "3", "7", "10"]


def test_response_shape() -> None:
    response = run("select * from customer where DisplayName = 'Cool Cars'", PEOPLE)
    assert response == {"Customer": [PEOPLE[4]], "startPosition": 1, "maxResults": 1}


def test_no_rows_gives_an_empty_body() -> None:
    assert run("select * from Customer where DisplayName = 'Nobody'", PEOPLE) == {}
    assert run("select * from Customer", []) == {}
    assert run("select * from Customer startposition 99", PEOPLE) == {}


def test_paging() -> None:
    rows = [customer(i, f"C{i}") for i in range(1, 26)]
    first = run("select * from Customer maxresults 10", rows)
    assert (first["startPosition"], first["maxResults"]) == (1, 10)
    assert ids(first) == [str(i) for i in range(1, 11)]
    second = run("select * from Customer startposition 11 maxresults 10", rows)
    assert ids(second) == [str(i) for i in range(11, 21)]
    last = run("select * from Customer startposition 21 maxresults 10", rows)
    assert last["startPosition"] == 21
    assert last["maxResults"] == 5  # rows actually returned, not the page size asked for
    assert ids(last) == [str(i) for i in range(21, 26)]


def test_default_page_is_one_hundred_rows() -> None:
    rows = [customer(i, f"C{i}") for i in range(1, 151)]
    assert run("select * from Customer", rows)["maxResults"] == 100


def test_count_ignores_paging_and_order() -> None:
    rows = [customer(i, f"C{i}") for i in range(1, 26)]
    text = "select count(*) from Customer orderby DisplayName startposition 20 maxresults 2"
    assert run(text, rows) == {"totalCount": 25}
    assert run("select count(*) from Customer where DisplayName = 'C3'", rows) == {"totalCount": 1}
    assert run("select count(*) from Customer where DisplayName = 'none'", rows) == {
        "totalCount": 0
    }


def test_name_lists_hide_inactive_rows() -> None:
    assert "7" not in ids(run("select * from Customer", PEOPLE, name_list=True))
    assert run("select count(*) from Customer", PEOPLE, name_list=True) == {"totalCount": 4}


def test_name_list_query_mentioning_active_sees_inactive_rows() -> None:
    everyone = run("select * from Customer where Active in (true, false)", PEOPLE, name_list=True)
    assert ids(everyone) == ["1", "2", "3", "7", "10"]
    inactive = run("select * from Customer where Active = false", PEOPLE, name_list=True)
    assert ids(inactive) == ["7"]


def test_transactions_are_not_active_filtered() -> None:
    rows = [{"Id": "1", "Active": False}, {"Id": "2"}]
    assert ids(run("select * from Invoice", rows, name_list=False), "Invoice") == ["1", "2"]


def test_rows_without_active_count_as_active_in_name_lists() -> None:
    rows = [{"Id": "1", "Name": "Hours"}]
    assert ids(run("select * from Item", rows, name_list=True), "Item") == ["1"]


def test_string_equality_is_case_insensitive() -> None:
    assert ids(run(r"select * from Customer where DisplayName = 'AMY\'S BIRD SANCTUARY'", PEOPLE))
    assert ids(run(r"select * from Customer where DisplayName = 'o\'brien landscaping'", PEOPLE))


def test_like_wildcards() -> None:
    def like(pattern: str) -> list[str]:
        return ids(run(f"select * from Customer where DisplayName like '{pattern}'", PEOPLE))

    assert like("c%") == ["3"]
    assert like("%ird%") == ["1"]
    assert like("%S") == ["3"]
    assert like(r"%\'s%") == ["1", "7"]
    assert like("%") == ["1", "2", "3", "7", "10"]
    assert like("Zed Ltd") == ["10"]
    assert like("Zed") == []
    assert like(r"%O\'Brien%") == ["2"]
    assert like("B%W%Shop") == ["7"]


def test_like_treats_regex_characters_literally() -> None:
    rows = [customer(1, "a.b (x)"), customer(2, "axb (x)"), customer(3, "a_b")]
    assert ids(run("select * from Customer where DisplayName like 'a.b%'", rows)) == ["1"]
    assert ids(run("select * from Customer where DisplayName like '%(x)'", rows)) == ["1", "2"]
    assert ids(run("select * from Customer where DisplayName like 'a_b'", rows)) == ["3"]


def test_ref_fields_compare_on_their_value() -> None:
    assert ids(run("select * from Customer where CurrencyRef = 'USD'", PEOPLE)) == ["3"]
    assert ids(run("select * from Customer where CurrencyRef in ('EUR','USD')", PEOPLE)) == [
        "2",
        "3",
    ]
    invoices = [
        {"Id": "5", "CustomerRef": {"value": "58", "name": "O'Brien"}},
        {"Id": "6", "CustomerRef": {"value": "9", "name": "Other"}},
    ]
    assert ids(run("select * from Invoice where CustomerRef = '58'", invoices), "Invoice") == ["5"]
    assert ids(run("select * from Invoice where CustomerRef = 58", invoices), "Invoice") == ["5"]


def test_numbers_compare_numerically() -> None:
    assert ids(run("select * from Customer where Balance > 99", PEOPLE)) == ["1", "2"]
    assert ids(run("select * from Customer where Balance > 80", PEOPLE)) == ["1", "2", "7"]
    assert ids(run("select * from Customer where Balance >= 100", PEOPLE)) == ["1", "2"]
    assert ids(run("select * from Customer where Balance = 250.50", PEOPLE)) == ["2"]
    assert ids(run("select * from Customer where Balance < '85.01'", PEOPLE)) == ["3", "7", "10"]
    assert ids(run("select * from Customer where Balance in (0, 100)", PEOPLE)) == ["1", "3", "10"]


def test_decimal_row_values_compare_numerically() -> None:
    rows = [{"Id": "1", "TotalAmt": Decimal("10.50")}, {"Id": "2", "TotalAmt": Decimal("9.99")}]
    assert ids(run("select * from Invoice where TotalAmt > 10", rows), "Invoice") == ["1"]
    assert ids(run("select * from Invoice where TotalAmt = '10.5'", rows), "Invoice") == ["1"]
    by_amount = run("select * from Invoice orderby TotalAmt", rows)
    assert ids(by_amount, "Invoice") == ["2", "1"]


def test_numeric_looking_text_matches_exactly_but_orders_numerically() -> None:
    rows = [{"Id": "1", "DocNumber": "0012"}, {"Id": "2", "DocNumber": "12"}]
    assert ids(run("select * from Invoice where DocNumber = '12'", rows), "Invoice") == ["2"]
    assert ids(run("select * from Invoice where DocNumber in ('0012')", rows), "Invoice") == ["1"]
    assert ids(run("select * from Invoice where DocNumber < '13'", rows), "Invoice") == ["1", "2"]
    assert ids(run("select * from Invoice where DocNumber = 12", rows), "Invoice") == ["1", "2"]


def test_id_comparisons_are_numeric() -> None:
    assert ids(run("select * from Customer where Id > '3'", PEOPLE)) == ["7", "10"]
    assert ids(run("select * from Customer where Id in ('10', '2')", PEOPLE)) == ["2", "10"]


def test_boolean_comparison() -> None:
    rows = [
        {"Id": "1", "Name": "Hours", "Taxable": True, "Active": True},
        {"Id": "2", "Name": "Pump", "Taxable": False, "Active": True},
    ]
    assert ids(run("select * from Item where Taxable = true", rows), "Item") == ["1"]
    assert ids(run("select * from Item where Taxable = false", rows), "Item") == ["2"]
    assert ids(run("select * from Item where Taxable = 'true'", rows), "Item") == ["1"]
    assert ids(run("select * from Item where Taxable in (false)", rows), "Item") == ["2"]


def activity(id_: str, txn_date: str, updated: str | None = None) -> dict:
    row: dict = {"Id": id_, "TxnDate": txn_date}
    if updated:
        row["MetaData"] = {"LastUpdatedTime": updated}
    return row


ACTIVITIES = [
    activity("1", "2023-12-31", "2024-03-01T09:59:59-08:00"),
    activity("2", "2024-01-01", "2024-03-01T10:00:00-08:00"),
    activity("3", "2024-02-15", "2024-03-01T19:00:01Z"),
    activity("4", "2024-03-01", "2024-03-02T00:00:00+05:30"),
    activity("5", "2024-03-02"),
]


def activity_ids(where: str) -> list[str]:
    return ids(run(f"select * from TimeActivity where {where}", ACTIVITIES), "TimeActivity")


def test_dates_compare_as_dates() -> None:
    assert activity_ids("TxnDate >= '2024-01-01'") == ["2", "3", "4", "5"]
    assert activity_ids("TxnDate > '2024-01-01' and TxnDate < '2024-03-01'") == ["3"]
    assert activity_ids("TxnDate = '2024-03-01'") == ["4"]
    assert activity_ids("TxnDate <= '2023-12-31'") == ["1"]


def test_timestamps_compare_across_offsets() -> None:
    # 19:00:01Z is 11:00:01 at -08:00; 00:00 at +05:30 is 18:30Z (10:30 at -08:00) on the 1st.
    field = "MetaData.LastUpdatedTime"
    assert activity_ids(f"{field} > '2024-03-01T10:00:00-08:00'") == ["3", "4"]
    assert activity_ids(f"{field} > '2024-03-01T18:45:00Z'") == ["3"]
    assert activity_ids(f"{field} >= '2024-03-01T18:00:00Z'") == ["2", "3", "4"]
    assert activity_ids(f"{field} = '2024-03-01T18:00:00+00:00'") == ["2"]
    assert activity_ids(f"{field} < '2024-03-01T18:00:00.000Z'") == ["1"]


def test_date_only_literal_against_timestamps() -> None:
    assert activity_ids("MetaData.LastUpdatedTime > '2024-03-01'") == ["1", "2", "3", "4"]
    assert activity_ids("MetaData.LastUpdatedTime < '2024-03-01'") == []


def test_rows_missing_the_field_never_match() -> None:
    assert activity_ids("MetaData.LastUpdatedTime < '2030-01-01'") == ["1", "2", "3", "4"]
    assert run("select * from Customer where Nope = 'x'", PEOPLE) == {}
    assert ids(run("select * from Customer where Notes like '%'", PEOPLE)) == ["10"]


def test_property_names_are_case_insensitive() -> None:
    assert ids(run("select * from Customer where displayname = 'cool cars'", PEOPLE)) == ["3"]
    assert ids(run("select * from Customer where currencyref = 'USD'", PEOPLE)) == ["3"]


def test_order_by_fields() -> None:
    by_name = run("select * from Customer orderby DisplayName", PEOPLE)
    assert ids(by_name) == ["1", "7", "3", "2", "10"]  # case-insensitive
    by_name_desc = run("select * from Customer order by DisplayName desc", PEOPLE)
    assert ids(by_name_desc) == ["10", "2", "3", "7", "1"]


def test_order_by_several_fields_and_ties_fall_back_to_id() -> None:
    text = "select * from Customer orderby Balance desc, DisplayName"
    assert ids(run(text, PEOPLE)) == ["2", "1", "7", "3", "10"]
    assert ids(run("select * from Customer orderby Balance", PEOPLE)) == ["3", "10", "7", "1", "2"]


def test_order_by_dates_and_missing_values() -> None:
    text = "select * from TimeActivity orderby MetaData.LastUpdatedTime desc"
    assert ids(run(text, ACTIVITIES), "TimeActivity") == ["3", "4", "2", "1", "5"]


def test_order_by_numeric_ids() -> None:
    text = "select * from Customer orderby Id desc"
    assert ids(run(text, PEOPLE)) == ["10", "7", "3", "2", "1"]


def test_execute_accepts_any_iterable_and_returns_the_rows() -> None:
    response = run("select * from Customer where Id = '3'", PEOPLE)
    assert response["Customer"][0] is PEOPLE[4]
    generated = execute(q("select count(*) from Customer"), iter(PEOPLE), name_list=False)
    assert generated == {"totalCount": 5}


def test_paged_query_over_ten_thousand_customers_pages_every_row() -> None:
    """Paging and filters over 10,000 rows (their speed is measured by qbo_emulator.bench)."""
    rows = [
        {
            "Id": str(i),
            "DisplayName": f"Customer {i:05d}",
            "Active": i % 10 != 0,
            "Balance": i % 500,
            "CurrencyRef": {"value": "USD"},
            "MetaData": {"LastUpdatedTime": f"2024-{1 + i % 12:02d}-01T10:00:00-08:00"},
        }
        for i in range(1, 10_001)
    ]
    entities = ["Customer"]
    queries = [
        f"select * from Customer startposition {start} maxresults 1000"
        for start in range(1, 9001, 1000)
    ] + [
        "select * from Customer where MetaData.LastUpdatedTime > '2024-06-01' "
        "orderby DisplayName desc maxresults 1000",
        "select * from Customer where DisplayName like '%9%' and Active in (true,false) "
        "startposition 1001 maxresults 1000",
    ]
    seen = sum(execute(parse(text, entities), rows, name_list=True).get("maxResults", 0)
               for text in queries)
    assert seen == 9000 + 1000 + 1000


def test_parties_are_filtered_by_their_primary_email_address() -> None:
    rows = [
        {"Id": "1", "DisplayName": "Harbor Labs, Inc.",
         "PrimaryEmailAddr": {"Address": "AP@harborlabs.test"}},
        {"Id": "2", "DisplayName": "Other", "PrimaryEmailAddr": {"Address": "x@other.test"}},
        {"Id": "3", "DisplayName": "No Email"},
    ]
    found = run("SELECT * FROM Customer WHERE PrimaryEmailAddr IN ('ap@harborlabs.test', "
                "'nobody@x.test')", rows)
    assert ids(found) == ["1"]
    assert ids(run("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'x@other.test'", rows)) == \
        ["2"]
