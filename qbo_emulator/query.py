"""The QBO query language: parse a query string, run it over JSON rows.

Grammar (keywords and entity names are case-insensitive)::

    SELECT * | COUNT(*) FROM Entity
        [WHERE field op value [AND field op value]...]
        [ORDERBY | ORDER BY field [ASC|DESC] [, field [ASC|DESC]]...]
        [STARTPOSITION n] [MAXRESULTS n]

with ``op`` one of ``= < > <= >= IN LIKE``. There is no OR, JOIN, GROUP BY or projection.
Every error is a :class:`QueryError` with QBO's code 4001.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_LIMIT = 1000
OPERATORS = frozenset({"=", "<", ">", "<=", ">=", "IN", "LIKE"})


class QueryError(Exception):
    """An invalid query; QBO answers these with HTTP 400 and fault code 4001."""

    code = "4001"

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(f"{message}: {detail}")
        self.message = message
        self.detail = detail


def _parser_error(detail: str) -> QueryError:
    return QueryError("Invalid query", f"QueryParserError: {detail}")


def _validation_error(detail: str) -> QueryError:
    return QueryError("Invalid query", f"QueryValidationError: {detail}")


@dataclass(frozen=True)
class Condition:
    """One ``field op value`` test; ``value`` is str, Decimal, bool or a tuple of those (IN)."""

    field: str
    op: str
    value: object


@dataclass(frozen=True)
class Query:
    """A parsed query; ``order_by`` holds (field, descending) pairs."""

    entity: str
    count: bool
    conditions: tuple[Condition, ...]
    order_by: tuple[tuple[str, bool], ...]
    start_position: int
    max_results: int
    mentions_active: bool


# --------------------------------------------------------------------------- tokenizer

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True)
class _Token:
    kind: str  # string | number | op | punct | word | end
    text: str
    value: object
    column: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words

    def describe(self) -> str:
        return "end of query" if self.kind == "end" else f'"{self.text}"'


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] == "'":
                raise _parser_error(f"Unterminated string starting at column {pos + 1}")
            raise _parser_error(f'Lexical error at column {pos + 1}: unexpected "{text[pos]}"')
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "string":
            tokens.append(_Token(kind, raw, _ESCAPE.sub(r"\1", raw[1:-1]), pos + 1))
        elif kind == "number":
            tokens.append(_Token(kind, raw, Decimal(raw), pos + 1))
        elif kind != "ws":
            tokens.append(_Token(kind, raw, raw, pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", None, len(text) + 1))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.pos]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def unexpected(self, expected: str = "") -> QueryError:
        token = self.current
        hint = f"; expected {expected}" if expected else ""
        return _parser_error(f"Encountered {token.describe()} at column {token.column}{hint}")

    def expect_word(self, *words: str) -> _Token:
        if not self.current.is_word(*words):
            raise self.unexpected(" or ".join(words))
        return self.advance()

    def expect_punct(self, char: str) -> None:
        if not (self.current.kind == "punct" and self.current.text == char):
            raise self.unexpected(f'"{char}"')
        self.advance()

    def field(self) -> str:
        if self.current.kind != "word":
            raise self.unexpected("a property name")
        return self.advance().text

    def integer(self, keyword: str) -> int:
        token = self.current
        value = token.value
        if token.kind != "number" or not isinstance(value, Decimal) or value != value.to_integral():
            raise self.unexpected(f"an integer after {keyword}")
        self.advance()
        return int(value)

    def literal(self) -> str | Decimal | bool:
        token = self.current
        if token.kind in ("string", "number"):
            self.advance()
            assert isinstance(token.value, str | Decimal)
            return token.value
        if token.is_word("TRUE", "FALSE"):
            self.advance()
            return token.text.upper() == "TRUE"
        raise self.unexpected("a value")

    def condition(self) -> Condition:
        field = self.field()
        token = self.current
        if token.kind == "op":
            if token.text in ("!=", "<>"):
                raise _parser_error(
                    f'Operator "{token.text}" is not supported (column {token.column})'
                )
            op = self.advance().text
            return Condition(field, op, self.literal())
        if token.is_word("IN"):
            self.advance()
            self.expect_punct("(")
            values = [self.literal()]
            while self.current.kind == "punct" and self.current.text == ",":
                self.advance()
                values.append(self.literal())
            self.expect_punct(")")
            return Condition(field, "IN", tuple(values))
        if token.is_word("LIKE"):
            self.advance()
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise _validation_error("LIKE needs a quoted string pattern")
            return Condition(field, "LIKE", pattern)
        raise self.unexpected("an operator (= < > <= >= IN LIKE)")

    def parse(self, known: dict[str, str]) -> Query:
        self.expect_word("SELECT")
        count = False
        if self.current.kind == "punct" and self.current.text == "*":
            self.advance()
        elif self.current.is_word("COUNT"):
            self.advance()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        elif self.current.kind == "word" and not self.current.is_word("FROM"):
            raise _validation_error("Selecting properties is not supported; use SELECT *")
        else:
            raise self.unexpected("* or COUNT(*)")
        if not self.current.is_word("FROM"):
            if self.current.kind == "punct" and self.current.text == ",":
                raise _validation_error("Selecting properties is not supported; use SELECT *")
            raise self.unexpected("FROM")
        self.advance()
        if self.current.kind != "word":
            raise self.unexpected("an entity name")
        name_token = self.advance()
        entity = known.get(name_token.text.lower())
        if entity is None:
            raise _validation_error(f"Entity {name_token.text} is not supported")

        conditions: list[Condition] = []
        if self.current.is_word("WHERE"):
            self.advance()
            conditions.append(self.condition())
            while self.current.is_word("AND"):
                self.advance()
                conditions.append(self.condition())
            if self.current.is_word("OR"):
                raise _parser_error(f"OR is not supported (column {self.current.column})")

        order_by: list[tuple[str, bool]] = []
        if self.current.is_word("ORDERBY", "ORDER"):
            if self.advance().text.upper() == "ORDER":
                self.expect_word("BY")
            while True:
                field = self.field()
                descending = False
                if self.current.is_word("ASC", "DESC"):
                    descending = self.advance().text.upper() == "DESC"
                order_by.append((field, descending))
                if not (self.current.kind == "punct" and self.current.text == ","):
                    break
                self.advance()

        start_position = 1
        max_results = DEFAULT_MAX_RESULTS
        seen: set[str] = set()
        while self.current.is_word("STARTPOSITION", "MAXRESULTS"):
            keyword = self.advance().text.upper()
            if keyword in seen:
                raise _validation_error(f"{keyword} is given more than once")
            seen.add(keyword)
            number = self.integer(keyword)
            if keyword == "STARTPOSITION":
                if number < 1:
                    raise _validation_error("STARTPOSITION must be 1 or more")
                start_position = number
            else:
                if number < 1 or number > MAX_RESULTS_LIMIT:
                    raise _validation_error(
                        f"MAXRESULTS must be between 1 and {MAX_RESULTS_LIMIT}, not {number}"
                    )
                max_results = number

        if self.current.kind != "end":
            if self.current.is_word("OR"):
                raise _parser_error(f"OR is not supported (column {self.current.column})")
            if self.current.is_word("JOIN", "GROUP", "INNER", "LEFT", "HAVING"):
                raise _parser_error(f"{self.current.text.upper()} is not supported")
            raise self.unexpected()
        return Query(
            entity=entity,
            count=count,
            conditions=tuple(conditions),
            order_by=tuple(order_by),
            start_position=start_position,
            max_results=max_results,
            mentions_active=any(c.field.lower() == "active" for c in conditions),
        )


def parse(text: str, known_entities: Iterable[str]) -> Query:
    """Parse a QBO query; the entity name is returned as spelled in ``known_entities``."""
    known = {name.lower(): name for name in known_entities}
    return _Parser(text).parse(known)


# --------------------------------------------------------------------------- values

_MISSING = object()
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}.*)?\Z", re.DOTALL)
_NUMERIC = re.compile(r"-?\d+(?:\.\d+)?\Z")


@lru_cache(maxsize=65536)
def _as_datetime(text: str) -> datetime | None:
    """ISO date or timestamp as an aware datetime (naive values are taken as UTC)."""
    if not _DATE_LIKE.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        return number if number.is_finite() else None
    if isinstance(value, str) and _NUMERIC.match(value):
        return Decimal(value)
    return None


def _folded_get(mapping: dict, key: str) -> Any:
    """Property names in queries are not case-sensitive: find ``key`` ignoring case."""
    low = key.lower()
    for name, item in mapping.items():
        if name.lower() == low:
            return item
    return _MISSING


def _getter(field: str) -> Callable[[dict], Any]:
    """Compile a dotted property path into a function reading it from a row (or _MISSING).

    A reference (a dict with ``value``) reads as its id; an email address (``PrimaryEmailAddr``,
    a dict with ``Address``) reads as the address, which is how QBO filters parties by email
    (``WHERE PrimaryEmailAddr = 'x@y.com'``, python-quickbooks issue #284), while the dotted
    ``PrimaryEmailAddr.Address`` is not filterable there (python-quickbooks issue #239).
    """
    parts = tuple(field.split("."))
    if len(parts) == 1:
        key = parts[0]

        def get_one(row: dict) -> Any:
            value = row.get(key, _MISSING)
            if value is _MISSING:
                value = _folded_get(row, key)
            if isinstance(value, dict):
                return value.get("value", value.get("Address", _MISSING))
            return value

        return get_one

    def get_path(row: dict) -> Any:
        value: Any = row
        for part in parts:
            if not isinstance(value, dict):
                return _MISSING
            found = value.get(part, _MISSING)
            value = _folded_get(value, part) if found is _MISSING else found
            if value is _MISSING:
                return _MISSING
        if isinstance(value, dict):
            return value.get("value", _MISSING)
        return value

    return get_path


class _Literal:
    """A query value prepared once for comparisons against many row values."""

    __slots__ = ("boolean", "fold", "moment", "number", "numeric_text")

    def __init__(self, value: object, *, ordering: bool = False) -> None:
        self.boolean: bool | None = None
        self.number: Decimal | None = None
        self.moment: datetime | None = None
        self.fold: str | None = None
        if isinstance(value, bool):
            self.boolean = value
            self.fold = "true" if value else "false"
        elif isinstance(value, Decimal):
            # An unquoted number only ever compares numerically.
            self.number = value
        else:
            text = str(value)
            self.fold = text.casefold()
            self.number = _as_decimal(text)
            self.moment = _as_datetime(text)
            if self.fold in ("true", "false"):
                self.boolean = self.fold == "true"
        # Text that looks like a number ("12", "0012") is compared as text for equality,
        # but ordered numerically (Id > '99', DocNumber < '1000').
        self.numeric_text = self.number is not None and (ordering or self.fold is None)

    def compare(self, value: object) -> int | None:
        """Three-way compare a row value with this literal; None when they are not comparable."""
        if value is None or value is _MISSING:
            return None
        if isinstance(value, bool):
            if self.boolean is None:
                return None
            return (value > self.boolean) - (value < self.boolean)
        if isinstance(value, int | float | Decimal):
            number = _as_decimal(value)
            if self.number is None or number is None:
                return None
            return (number > self.number) - (number < self.number)
        if isinstance(value, str):
            if self.moment is not None:
                moment = _as_datetime(value)
                if moment is not None:
                    return (moment > self.moment) - (moment < self.moment)
            if self.numeric_text and self.number is not None:
                number = _as_decimal(value)
                if number is not None:
                    return (number > self.number) - (number < self.number)
            if self.fold is None:
                return None
            folded = value.casefold()
            return (folded > self.fold) - (folded < self.fold)
        return None


_TESTS: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0,
    "<": lambda c: c < 0,
    ">": lambda c: c > 0,
    "<=": lambda c: c <= 0,
    ">=": lambda c: c >= 0,
}


def _like_regex(pattern: str) -> re.Pattern[str]:
    body = ".*".join(re.escape(piece) for piece in pattern.split("%"))
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def _matcher(condition: Condition) -> Callable[[dict], bool]:
    """Compile one condition into a row predicate."""
    get = _getter(condition.field)
    op = condition.op
    if op == "LIKE":
        regex = _like_regex(str(condition.value))

        def like(row: dict) -> bool:
            value = get(row)
            if value is None or value is _MISSING or isinstance(value, dict | list):
                return False
            if isinstance(value, bool):
                value = "true" if value else "false"
            return regex.fullmatch(str(value)) is not None

        return like
    if op == "IN":
        assert isinstance(condition.value, tuple)
        literals = [_Literal(item) for item in condition.value]
        # Fast path for the common all-string list (Id IN ('1','2'), Name IN (...)).
        plain = {
            lit.fold for lit in literals if lit.moment is None and lit.number is None and lit.fold
        }
        if len(plain) == len(literals):

            def in_strings(row: dict) -> bool:
                value = get(row)
                if isinstance(value, str):
                    return value.casefold() in plain
                return any(lit.compare(value) == 0 for lit in literals)

            return in_strings

        def in_any(row: dict) -> bool:
            value = get(row)
            return any(lit.compare(value) == 0 for lit in literals)

        return in_any

    literal = _Literal(condition.value, ordering=op != "=")
    test = _TESTS[op]

    def compare(row: dict) -> bool:
        result = literal.compare(get(row))
        return result is not None and test(result)

    return compare


def _sorted_by(get: Callable[[dict[str, Any]], Any], row: dict[str, Any]) -> tuple[int, Any]:
    """The sort key of one row for one ORDERBY field."""
    return _sort_key(get(row))


def _sort_key(value: object) -> tuple[int, Any]:
    """Order-preserving key over mixed row values: missing, booleans, numbers, times, text."""
    if value is None or value is _MISSING:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float | Decimal):
        return (2, _as_decimal(value))
    if isinstance(value, str):
        if _NUMERIC.match(value):
            return (2, Decimal(value))
        moment = _as_datetime(value)
        if moment is not None:
            return (3, moment)
        return (4, value.casefold())
    return (5, str(value))


def _id_key(row: dict) -> tuple[int, Any]:
    value = row.get("Id")
    if isinstance(value, str) and value.isdigit():
        return (0, int(value))
    return (1, str(value))


@dataclass(frozen=True)
class _Plan:
    predicates: tuple[Callable[[dict], bool], ...]
    sorters: tuple[tuple[Callable[[dict], Any], bool], ...]


def _plan(query: Query) -> _Plan:
    return _Plan(
        predicates=tuple(_matcher(c) for c in query.conditions),
        sorters=tuple((_getter(field), desc) for field, desc in query.order_by),
    )


def execute(query: Query, rows: Iterable[dict], *, name_list: bool) -> dict:
    """Run ``query`` over ``rows`` and return the QueryResponse body (rows are not copied)."""
    plan = _plan(query)  # compiled once per call, so no per-row parsing
    if name_list and not query.mentions_active:
        # Name lists hide inactive (deleted) records unless the query asks about Active.
        rows = [row for row in rows if row.get("Active") is not False]
    predicates = plan.predicates
    if not predicates:
        selected = list(rows)
    elif len(predicates) == 1:
        only = predicates[0]
        selected = [row for row in rows if only(row)]
    else:
        selected = [row for row in rows if all(p(row) for p in predicates)]
    if query.count:
        return {"totalCount": len(selected)}

    selected.sort(key=_id_key)
    for get, descending in reversed(plan.sorters):
        selected.sort(key=partial(_sorted_by, get), reverse=descending)
    start = query.start_position - 1
    page = selected[start : start + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start_position, "maxResults": len(page)}
