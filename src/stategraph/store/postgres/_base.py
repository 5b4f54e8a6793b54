"""SQL, migrations and codecs of the PostgreSQL stores; no connection handling.

Tables are LangGraph's (``store``, ``store_vectors``, same columns), so a
database written by either library is readable by the other; this library's
schema versions are recorded in ``sg_store_migrations``. Vector search uses
pgvector (``embedding vector(dims)``, cosine distance ``<=>``) when the
extension is installed on the server, and otherwise an exact in-database
fallback: embeddings in a ``real[]`` column, scored in SQL over ``unnest``.
``distance_type`` picks the pgvector operator (and index operator class) or
the exact formula; with pgvector, searches order by the operator with a
``LIMIT`` so an HNSW or IVFFlat index answers them (see ``_ann``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypedDict, TypeVar

import orjson
from psycopg.types.json import Jsonb

from stategraph.store._sql import Dialect, Plan, Query, SqlStoreMixin
from stategraph.store.base._records import IndexConfig
from stategraph.store.postgres import _pgvector
from stategraph.store.postgres._pgvector import VectorSpace

if TYPE_CHECKING:
    from psycopg import AsyncConnection, Connection
    from psycopg_pool import AsyncConnectionPool, ConnectionPool


class PoolConfig(TypedDict, total=False):
    """Connection pool settings of ``from_conn_string``.

    Attributes:
        min_size: Connections kept open (default 1).
        max_size: Upper bound on connections (``None``: as ``min_size``).
        kwargs: Extra connection arguments (autocommit, ``prepare_threshold=0``
            and the row factory are set for you).
    """

    min_size: int
    max_size: int | None
    kwargs: dict[str, Any]


class ANNIndexConfig(TypedDict, total=False):
    """pgvector approximate index settings (used only with pgvector).

    Attributes:
        kind: ``"hnsw"``, ``"ivfflat"`` or ``"flat"`` (no index).
        vector_type: ``"vector"`` or ``"halfvec"``.
    """

    kind: Literal["hnsw", "ivfflat", "flat"]
    vector_type: Literal["vector", "halfvec"]


class HNSWConfig(ANNIndexConfig, total=False):
    """HNSW index settings (pgvector; the default index kind).

    Attributes:
        m: Connections per layer.
        ef_construction: Candidate list size while building.
    """

    m: int
    ef_construction: int


class IVFFlatConfig(ANNIndexConfig, total=False):
    """IVFFlat index settings (pgvector).

    Attributes:
        nlist: Number of inverted lists.
    """

    nlist: int


class PostgresIndexConfig(IndexConfig, total=False):
    """Vector index settings of the PostgreSQL stores.

    Attributes:
        ann_index_config: pgvector index settings.
        distance_type: ``"cosine"`` (default), ``"l2"`` or ``"inner_product"``;
            scores are LangGraph's: cosine similarity, negated Euclidean
            distance, inner product.
    """

    ann_index_config: ANNIndexConfig
    distance_type: Literal["l2", "inner_product", "cosine"]


CONNECT_KWARGS: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0}

MIGRATIONS = [
    "CREATE TABLE IF NOT EXISTS store (prefix text NOT NULL, key text NOT NULL,"
    " value jsonb NOT NULL,"
    " created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,"
    " updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,"
    " expires_at timestamp with time zone, ttl_minutes double precision,"
    " PRIMARY KEY (prefix, key))",
    "CREATE INDEX IF NOT EXISTS store_prefix_idx ON store"
    " USING btree (prefix text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS idx_store_expires_at ON store (expires_at)"
    " WHERE expires_at IS NOT NULL",
    # Newest items of a namespace, read in index order (search without query).
    "CREATE INDEX IF NOT EXISTS sg_store_prefix_updated_idx"
    " ON store (prefix text_pattern_ops, updated_at)",
]
C = TypeVar(
    "C",
    bound="Connection[Any] | ConnectionPool[Any]"
    " | AsyncConnection[Any] | AsyncConnectionPool[Any]",
)
"""The connection type of a store: sync or async, single or pooled."""


class BasePostgresStore(SqlStoreMixin, Generic[C]):
    """What the sync and async PostgreSQL stores share (LangGraph's base class)."""

    MIGRATIONS: ClassVar[list[str]] = MIGRATIONS
    """LangGraph's name for the schema statements; ``setup()`` applies (and
    records in ``sg_store_migrations``) the built-in list, not this attribute."""


class Row(TypedDict):
    """A row of the ``store`` table, as LangGraph types it.

    Attributes:
        key: The item's key.
        value: The item's value.
        prefix: The item's namespace, dot-joined.
        created_at: When the item was first put.
        updated_at: When the item was last put (or refreshed).
    """

    key: str
    value: Any
    prefix: str
    created_at: datetime
    updated_at: datetime


VECTOR_TABLE = (
    "CREATE TABLE IF NOT EXISTS store_vectors (prefix text NOT NULL,"
    " key text NOT NULL, field_name text NOT NULL, embedding {type},"
    " created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,"
    " updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,"
    " PRIMARY KEY (prefix, key, field_name),"
    " FOREIGN KEY (prefix, key) REFERENCES store (prefix, key) ON DELETE CASCADE)"
)
MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS sg_store_migrations (name text NOT NULL,"
    " v integer NOT NULL, PRIMARY KEY (name, v))"
)
APPLIED = "SELECT name, MAX(v) FROM sg_store_migrations GROUP BY name"
RECORD = (
    "INSERT INTO sg_store_migrations (name, v) VALUES (%s, %s) ON CONFLICT DO NOTHING"
)
# Serialises concurrent setup() calls of several processes.
SETUP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('sg_store_migrations'))"
HAS_PGVECTOR = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
VECTOR_COLUMN = (
    "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
    " WHERE a.attrelid = to_regclass('store_vectors') AND a.attname = 'embedding'"
)
# Embeddings without pgvector: real[] columns, scored exactly in SQL with
# LangGraph's score of each distance type (higher is nearer): cosine
# similarity, the negated Euclidean distance, the inner product.
_PAIRS = "FROM unnest(sv.embedding, %s::float8[]) AS t(a, b)"
EXACT = {
    "cosine": "COALESCE((SELECT SUM(a * b) / NULLIF(SQRT(SUM(a * a))"
    f" * SQRT(SUM(b * b)), 0) {_PAIRS}), 0)",
    "l2": f"(SELECT -SQRT(SUM((a - b) * (a - b))) {_PAIRS})",
    "inner_product": f"(SELECT SUM(a * b) {_PAIRS})",
}


def check_index(index: PostgresIndexConfig | None) -> None:
    """Reject index settings this store cannot honour, at construction.

    Raises:
        ValueError: If ``distance_type`` is not ``"cosine"``, ``"l2"`` or
            ``"inner_product"``, or ``ann_index_config`` is invalid.
    """
    _pgvector.check_ann(dict(index or {}))
    distance = distance_type(index)
    if distance not in _pgvector.DISTANCES:
        raise ValueError(
            f"Invalid distance_type: {distance!r}. Expected 'cosine' (the "
            "default), 'l2' or 'inner_product'."
        )


def distance_type(index: PostgresIndexConfig | None) -> str:
    """The index's ``distance_type`` (``"cosine"`` when not set)."""
    return str((index or {}).get("distance_type", "cosine"))


def is_pool(conn: object) -> bool:
    """Say whether ``conn`` is a psycopg_pool pool (without importing psycopg_pool)."""
    module = sys.modules.get("psycopg_pool")
    return module is not None and isinstance(
        conn, (module.ConnectionPool, module.AsyncConnectionPool)
    )


def _pool_args(config: PoolConfig) -> dict[str, Any]:
    return {
        "min_size": config.get("min_size", 1),
        "max_size": config.get("max_size"),
        "kwargs": {**CONNECT_KWARGS, **(config.get("kwargs") or {})},
        "open": False,
    }


@contextmanager
def sync_pool(conn_string: str, config: PoolConfig) -> Iterator[ConnectionPool[Any]]:
    """Open a connection pool for ``from_conn_string``; close it after."""
    from psycopg_pool import ConnectionPool

    with ConnectionPool(conn_string, **_pool_args(config)) as pool:
        yield pool


@asynccontextmanager
async def async_pool(
    conn_string: str, config: PoolConfig
) -> AsyncIterator[AsyncConnectionPool[Any]]:
    """Open an async connection pool for ``from_conn_string``; close it after."""
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(conn_string, **_pool_args(config)) as pool:
        yield pool


def setup_plan(
    rows: Iterable[Sequence[Any]],
    index: PostgresIndexConfig | None,
    pgvector: bool,
) -> Plan[VectorSpace | None]:
    """Run the pending migrations; return pgvector's settings if embeddings use it.

    Args:
        rows: ``(name, latest version)`` rows of the migrations table.
        index: The store's index settings, ``None`` for a store without one.
        pgvector: The server offers the ``vector`` extension.
    """
    applied: dict[str, int] = {row[0]: row[1] for row in rows}
    yield Query(SETUP_LOCK)
    for v, sql in enumerate(MIGRATIONS):
        if v > applied.get("store", -1):
            yield Query(sql)
            yield Query(RECORD, ("store", v))
    if index is None:
        return None
    existing = yield Query(VECTOR_COLUMN)
    column = str(existing[0][0]) if existing and existing[0][0] else None
    kind = _pgvector.type_of(column) if column else None
    if column is None and not pgvector:
        yield Query(VECTOR_TABLE.format(type="real[]"))
        yield Query(RECORD, ("vectors", 0))
    if kind is None and (column is not None or not pgvector):
        return None  # the exact fallback's real[] table
    schema = yield Query(_pgvector.SCHEMA)
    if not schema:
        yield Query(_pgvector.CREATE)  # needs the privilege to create it
        schema = yield Query(_pgvector.SCHEMA)
    space = VectorSpace(
        schema[0][0],
        kind or _pgvector.vector_type(dict(index)),
        distance_type(index),
        _pgvector.has_iterative_scan(str(schema[0][1])),
    )
    if column is None:
        dims = int(index["dims"])
        yield Query(VECTOR_TABLE.format(type=f"{space.qualified}({dims})"))
        yield Query(RECORD, ("vectors", 0))
    if applied.get("vectors", -1) < 1:
        ann = _pgvector.index_sql(dict(index), space)
        if ann is not None:
            yield Query(ann)
        yield Query(RECORD, ("vectors", 1))
    return space


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class PostgresDialect(Dialect):
    """PostgreSQL's SQL for the shared store plan."""

    P = "%s"
    VALUE = "s.value::text"

    def __init__(self, loads: Any = None, distance: str = "cosine") -> None:
        self._loads = loads or orjson.loads
        self._exact = EXACT[distance]
        self.use_pgvector(None)

    def use_pgvector(self, space: VectorSpace | None) -> None:
        """Score with pgvector in ``space``, or (``None``) the exact fallback."""
        self.space = space
        self.pgvector = self.ann = space is not None
        self.VEC = "%s" if space is None else space.placeholder

    def prefix_condition(self, prefix: tuple[str, ...]) -> tuple[str, list[Any]]:
        """Equal to the prefix, or below it (``LIKE`` uses the prefix index)."""
        text = ".".join(prefix)
        return "(s.prefix = %s OR s.prefix LIKE %s)", [text, _escape_like(text) + ".%"]

    def descendants_condition(self, prefix: tuple[str, ...]) -> tuple[str, list[Any]]:
        """Below the prefix: ``LIKE 'prefix.%'`` (an index range)."""
        return "s.prefix LIKE %s", [_escape_like(".".join(prefix)) + ".%"]

    def filter_condition(
        self, key: str, op: str, value: Any
    ) -> tuple[str, list[Any]] | None:
        """``jsonb`` comparisons for scalar values; ``None`` otherwise."""
        if op in ("$eq", "$ne"):
            if value is None:
                sql = "COALESCE(s.value -> %s = 'null'::jsonb, true)"
            elif isinstance(value, (str, int, float, bool)):
                sql = "COALESCE(s.value -> %s = %s::jsonb, false)"
            else:
                return None
            params = [key] if value is None else [key, _dumps(value)]
            return (sql, params) if op == "$eq" else (f"NOT {sql}", params)
        cmp = _CMP[op]
        if isinstance(value, str):
            sql = (
                "COALESCE(jsonb_typeof(s.value -> %s) = 'string'"
                f' AND (s.value ->> %s) COLLATE "C" {cmp} %s, false)'
            )
            return sql, [key, key, value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sql = (
                "(CASE WHEN jsonb_typeof(s.value -> %s) = 'number'"
                f" THEN (s.value ->> %s)::float8 {cmp} %s ELSE false END)"
            )
            return sql, [key, key, float(value)]
        return "false", []

    def similarity(self) -> str:
        """The score of ``sv.embedding`` against the query vector (exact)."""
        return self._exact if self.space is None else self.space.similarity

    def ann_distance(self) -> str:
        """The distance operator expression of pgvector (ordered by, ascending)."""
        assert self.space is not None, "ann is set only with pgvector"
        return self.space.distance_sql

    def ann_settings(self) -> str | None:
        """Pgvector's iterative index scans for the transaction (0.8 and later)."""
        return None if self.space is None else self.space.scan_settings

    def ann_score(self, distance: float) -> float:
        """The score of a pgvector distance."""
        assert self.space is not None, "ann is set only with pgvector"
        return self.space.score(distance)

    def encode_value(self, value: dict[str, Any]) -> Any:
        """``jsonb`` parameter, dumped with orjson."""
        return Jsonb(value, dumps=_dumps)

    def decode_value(self, raw: Any) -> dict[str, Any]:
        """Parse the value's text."""
        result: dict[str, Any] = self._loads(raw)
        return result

    def value_decoder(self) -> Callable[[Any], dict[str, Any]]:
        """The JSON parser itself (``decode_value`` without its frame)."""
        return self._loads

    def encode_time(self, moment: datetime) -> Any:
        """An aware ``datetime`` (``timestamptz``)."""
        return moment

    def decode_time(self, raw: Any) -> datetime:
        """An aware ``datetime`` (UTC assumed for naive values)."""
        moment: datetime = raw
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    def encode_vector(self, vector: Sequence[float]) -> Any:
        """The text form pgvector reads, or a float list (a ``float8[]`` parameter)."""
        values = [float(x) for x in vector]
        return "[" + ",".join(map(repr, values)) + "]" if self.pgvector else values


_CMP = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
