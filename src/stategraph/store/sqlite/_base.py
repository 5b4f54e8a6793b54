"""SQL, migrations and codecs of the SQLite stores; no connection handling.

Tables are LangGraph's (``store``, ``store_vectors``, same columns), so a
file written by either library is readable by the other; this library's
schema versions are recorded in ``sg_store_migrations``. Values are JSON
text, timestamps ISO-8601 text in UTC, vectors little-endian float32 blobs
(sqlite-vec's format), scored as ``_vectors`` describes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from array import array
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, closing, contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from stategraph._sqlite_keys import at_path, check_filter_key, json_path
from stategraph.store._sql import Dialect, Plan, Query, SqlStoreMixin
from stategraph.store.base._records import IndexConfig, decode_moment
from stategraph.store.sqlite._vectors import (
    COSINE_FUNCTION as COSINE_FUNCTION,
    DISTANCES as DISTANCES,
    EXACT_FUNCTIONS,
    VEC_SIMILARITY,
    distance_type as distance_type,
    is_load_error as is_load_error,
    sqlite_cosine as sqlite_cosine,
    sqlite_vec_path as sqlite_vec_path,
)

if TYPE_CHECKING:
    import aiosqlite

try:  # orjson is several times faster on the JSON of every row
    import orjson

    def _dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

    _loads: Callable[[Any], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is a dependency of the extra
    _loads = json.loads

    def _dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SqliteIndexConfig(IndexConfig, total=False):
    """Vector index settings of the SQLite stores.

    Those of ``IndexConfig``, plus:

    Attributes:
        text_fields: LangGraph's SQLite stores read the paths to embed from
            this key (one path or a list); ``fields`` is taken as a synonym.
        distance_type: ``"cosine"`` (default), ``"l2"`` or ``"inner_product"``;
            scores are those of the PostgreSQL store: cosine similarity,
            negated Euclidean distance, inner product.
    """

    text_fields: list[str] | str | None
    distance_type: Literal["cosine", "l2", "inner_product"]


def index_fields(index: SqliteIndexConfig | None) -> SqliteIndexConfig | None:
    """``index`` with ``text_fields`` moved to ``fields`` (when that is unset)."""
    if not index or index.get("fields") is not None:
        return index
    text_fields = index.get("text_fields")
    if text_fields is None:
        return index
    if isinstance(text_fields, str):
        text_fields = [text_fields]
    return {**index, "fields": text_fields}


MIGRATIONS = [
    "CREATE TABLE IF NOT EXISTS store (prefix TEXT NOT NULL, key TEXT NOT NULL,"
    " value TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
    " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, expires_at TIMESTAMP,"
    " ttl_minutes REAL, PRIMARY KEY (prefix, key))",
    "CREATE INDEX IF NOT EXISTS store_prefix_idx ON store (prefix)",
    "CREATE INDEX IF NOT EXISTS idx_store_expires_at ON store (expires_at)"
    " WHERE expires_at IS NOT NULL",
    # Newest items of a namespace, read in index order (search without query).
    "CREATE INDEX IF NOT EXISTS sg_store_prefix_updated_idx"
    " ON store (prefix, updated_at)",
    # LangGraph's SqliteStore re-runs its (non-idempotent) migrations unless
    # they are recorded: the schema above is theirs, so record them.
    "CREATE TABLE IF NOT EXISTS store_migrations (v INTEGER PRIMARY KEY)",
    "INSERT OR IGNORE INTO store_migrations (v) VALUES (0), (1), (2), (3), (4)",
]
VECTOR_MIGRATIONS = [
    "CREATE TABLE IF NOT EXISTS store_vectors (prefix TEXT NOT NULL,"
    " key TEXT NOT NULL, field_name TEXT NOT NULL, embedding BLOB,"
    " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
    " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
    " PRIMARY KEY (prefix, key, field_name))",
    "CREATE TABLE IF NOT EXISTS vector_migrations (v INTEGER PRIMARY KEY)",
    "INSERT OR IGNORE INTO vector_migrations (v) VALUES (0)",
]
MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS sg_store_migrations (name TEXT NOT NULL,"
    " v INTEGER NOT NULL, PRIMARY KEY (name, v))"
)
APPLIED = "SELECT name, MAX(v) FROM sg_store_migrations GROUP BY name"
RECORD = "INSERT INTO sg_store_migrations (name, v) VALUES (?, ?)"
PRAGMA_WAL = "PRAGMA journal_mode=WAL"
PRAGMA_SYNC = "PRAGMA synchronous=NORMAL"
NS_MATCH_FUNCTION = "_langgraph_namespace_match"
"""SQL function ``(prefix, pattern)`` on a store's connection, as LangGraph's.

Whether a dot-joined namespace matches a ``namespace_match_pattern`` regex
(1 or 0). ``setup()`` registers it for SQL written against the store's tables;
the stores themselves match namespaces in Python.
"""
_GLOB_SPECIAL = re.compile(r"([*?\[])")


def namespace_match(prefix: str | None, pattern: str) -> int:
    """The ``NS_MATCH_FUNCTION`` SQL function."""
    return int(prefix is not None and re.search(pattern, prefix) is not None)


def escape_glob_literal(text: str) -> str:
    """``text`` as a ``GLOB`` pattern matching only itself (LangGraph's helper)."""
    return _GLOB_SPECIAL.sub(r"[\1]", text)


class BaseSqliteStore(SqlStoreMixin):
    """What the sync and async SQLite stores share (LangGraph's base class)."""

    MIGRATIONS: ClassVar[list[str]] = MIGRATIONS
    """LangGraph's name for the schema statements; ``setup()`` applies (and
    records) the built-in list, not this attribute."""
    # LangGraph's SQLite store refreshes TTLs on read only when ``ttl_config``
    # sets ``refresh_on_read`` (its other stores default it to true).
    _refresh_on_read_default = False


ASYNC_TWIN = "AsyncSqliteStore (from stategraph.store.sqlite.aio)"


@contextmanager
def open_sync(conn_string: str) -> Iterator[sqlite3.Connection]:
    """Open a connection usable from any thread, in autocommit mode; close it after."""
    conn = sqlite3.connect(conn_string, check_same_thread=False, isolation_level=None)
    with closing(conn):
        yield conn


@asynccontextmanager
async def open_async(conn_string: str) -> AsyncIterator[aiosqlite.Connection]:
    """Open an aiosqlite connection in autocommit mode; close it after."""
    import aiosqlite

    async with aiosqlite.connect(conn_string, isolation_level=None) as conn:
        yield conn


def migration_plan(todo: list[tuple[str, int, str]]) -> Plan[None]:
    """Run pending migrations, recording each version."""
    for name, version, sql in todo:
        yield Query(sql)
        yield Query(RECORD, (name, version))


def pending_migrations(
    rows: Iterable[Sequence[Any]], vectors: bool
) -> list[tuple[str, int, str]]:
    """The ``(name, version, statement)`` migrations still to run, in order.

    Args:
        rows: ``(name, latest version)`` rows of the migrations table.
        vectors: Whether the store has a vector index.
    """
    applied: dict[str, int] = {row[0]: row[1] for row in rows}
    todo = [
        ("store", v, sql)
        for v, sql in enumerate(MIGRATIONS)
        if v > applied.get("store", -1)
    ]
    if vectors:
        todo += [
            ("vectors", v, sql)
            for v, sql in enumerate(VECTOR_MIGRATIONS)
            if v > applied.get("vectors", -1)
        ]
    return todo


def _below(text: str) -> list[str]:
    # Namespaces under ``text`` are exactly the texts in ["text.", "text/"):
    # "/" follows "." in code-point order, which is SQLite's text order.
    return [text + ".", text + "/"]


class SqliteDialect(Dialect):
    """SQLite's SQL for the shared store plan."""

    P = "?"
    VEC = "?"
    merges_compounds = True

    def __init__(
        self,
        loads: Callable[[Any], dict[str, Any]] | None = None,
        distance: str = "cosine",
    ) -> None:
        self._loads = loads or _loads
        self.distance = distance
        self.exact_function = EXACT_FUNCTIONS[distance]
        self._similarity = f"{self.exact_function[0]}(sv.embedding, ?)"
        self.sqlite_vec = False

    def use_sqlite_vec(self) -> None:
        """Score with sqlite-vec where it computes this distance (it is loaded)."""
        self.sqlite_vec = True
        self._similarity = VEC_SIMILARITY.get(self.distance, self._similarity)

    def prefix_condition(self, prefix: tuple[str, ...]) -> tuple[str, list[Any]]:
        """Equal to the prefix, or below it (a range of the prefix index)."""
        text = ".".join(prefix)
        return "(s.prefix = ? OR (s.prefix >= ? AND s.prefix < ?))", [
            text,
            *_below(text),
        ]

    def descendants_condition(self, prefix: tuple[str, ...]) -> tuple[str, list[Any]]:
        """Below the prefix, as a text range rather than ``GLOB``.

        SQLite re-prepares a statement whenever the bound pattern of a ``GLOB``
        or ``LIKE`` changes (its plan depends on the pattern), which cost more
        than the query itself; a range of two bound texts does not.
        """
        return "(s.prefix >= ? AND s.prefix < ?)", _below(".".join(prefix))

    def filter_condition(
        self, key: str, op: str, value: Any
    ) -> tuple[str, list[Any]] | None:
        """``json_extract`` comparisons for scalar values; ``None`` otherwise.

        Keys follow LangGraph's SQLite store: a dotted key is a path into
        nested objects, and other characters than letters, digits, ``_``,
        ``.`` and ``-`` raise ``ValueError``.
        """
        path = json_path(check_filter_key(key))
        value = _bindable(value)
        kind = f"json_type(s.value, '{_quote(path)}')"
        got = f"json_extract(s.value, '{_quote(path)}')"
        if op in ("$eq", "$ne"):
            eq = _equal(kind, got, value)
            if eq is None:
                return None
            sql, params = eq
            if op == "$eq":
                return f"({sql})", params
            # A missing field makes the test NULL: count that as "not equal".
            return f"NOT COALESCE({sql}, 0)", params
        # The comparison comes first: it rejects most rows with one JSON parse
        # (SQLite before 3.45 re-parses the value for every json_* call).
        if isinstance(value, str):
            return f"({got} {_CMP[op]} ? AND {kind} = 'text')", [value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"({got} {_CMP[op]} ? AND {kind} IN ('integer', 'real'))", [value]
        return "0", []

    def field(self, value: dict[str, Any], key: str) -> Any:
        """The field at a dotted key (see ``filter_condition``)."""
        return at_path(value, key)

    def similarity(self) -> str:
        """Score of one stored vector against the query-vector parameter."""
        return self._similarity

    def encode_value(self, value: dict[str, Any]) -> Any:
        """JSON text."""
        return _dumps(value)

    def decode_value(self, raw: Any) -> dict[str, Any]:
        """Parse JSON text."""
        result: dict[str, Any] = self._loads(raw)
        return result

    def value_decoder(self) -> Callable[[Any], dict[str, Any]]:
        """The JSON parser itself (``decode_value`` without its frame)."""
        return self._loads

    def encode_time(self, moment: datetime) -> Any:
        """ISO text in UTC with microseconds, so text order is time order."""
        return moment.astimezone(timezone.utc).isoformat(
            sep=" ", timespec="microseconds"
        )

    def decode_time(self, raw: Any) -> datetime:
        """Parse ISO text; naive values (LangGraph's ``CURRENT_TIMESTAMP``) are UTC.

        Items keep the text and parse it alike when read (``decode_moment``).
        """
        if type(raw) is str:
            return decode_moment(raw)
        moment: datetime = raw  # a connection with detect_types converts
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    def encode_vector(self, vector: Sequence[float]) -> Any:
        """Little-endian float32 blob."""
        return array("f", vector).tobytes()


_CMP = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
# Characters no JSON encoder escapes inside a string (unlike "/", "<", "&",
# quotes, backslashes, controls and non-ASCII, which some encoders escape).
_LITERAL = re.compile(r"[A-Za-z0-9 _.,:;@#%+=~-]*\Z")


def _bindable(value: Any) -> Any:
    # SQLite integers are 64-bit; a larger one is compared as a real.
    if type(value) is int and not -(2**63) <= value < 2**63:
        return float(value)
    return value


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _equal(kind: str, got: str, value: Any) -> tuple[str, list[Any]] | None:
    # May be NULL for a missing field (callers negate it with COALESCE).
    if value is None:
        return f"COALESCE({kind}, 'null') = 'null'", []
    if isinstance(value, bool):
        return f"{kind} = '{'true' if value else 'false'}'", []
    if isinstance(value, str):
        if _LITERAL.match(value):
            # A substring test on the raw text first: it rejects most rows
            # without parsing their JSON (which SQLite 3.40 does per call).
            # Sound because every JSON encoder writes these characters as
            # themselves, so a stored "value" string contains '"value"'.
            return (
                f"instr(s.value, ?) > 0 AND {got} = ? AND {kind} = 'text'",
                [f'"{value}"', value],
            )
        return f"{got} = ? AND {kind} = 'text'", [value]
    if isinstance(value, (int, float)):
        # JSON true/false extract as 1/0: the type check keeps them apart.
        return f"{got} = ? AND {kind} IN ('integer', 'real')", [value]
    return None
