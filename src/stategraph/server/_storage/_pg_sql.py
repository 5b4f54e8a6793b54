"""SQL of the PostgreSQL server storage: tables, migrations, search statements.

Each resource is a table of JSONB records keyed by its id. ``seq`` records
insertion order, so ties in a sort come out as the in-memory backend gives
them. The runs table also carries the run queue's columns (``available_at``,
``worker_id``, ``lease_until``, ``cancel_action``, ``attempt``); the run's
``status`` and ``thread_id`` are generated from the record, so the record
stays the one source of truth. No connection handling here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from stategraph.server import _json
from stategraph.server._auth_filters import to_sql
from stategraph.server._storage.base import Query

#: Resource name to its id column (also the JSON key of the id).
TABLES = {
    "assistants": "assistant_id",
    "assistant_versions": "assistant_id",
    "threads": "thread_id",
    "runs": "run_id",
    "crons": "cron_id",
}

#: Schema versions, applied in order; each is recorded in ``sg_server_migrations``.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS {assistants} (
        assistant_id text PRIMARY KEY, record jsonb NOT NULL,
        seq bigserial NOT NULL);
    CREATE TABLE IF NOT EXISTS {assistant_versions} (
        assistant_id text NOT NULL, version integer NOT NULL,
        record jsonb NOT NULL, seq bigserial NOT NULL,
        PRIMARY KEY (assistant_id, version));
    CREATE TABLE IF NOT EXISTS {threads} (
        thread_id text PRIMARY KEY, record jsonb NOT NULL,
        seq bigserial NOT NULL);
    CREATE TABLE IF NOT EXISTS {runs} (
        run_id text PRIMARY KEY, record jsonb NOT NULL,
        seq bigserial NOT NULL,
        thread_id text GENERATED ALWAYS AS (record->>'thread_id') STORED,
        status text GENERATED ALWAYS AS (record->>'status') STORED,
        available_at timestamptz NOT NULL DEFAULT now(),
        worker_id text, lease_until timestamptz, cancel_action text,
        attempt integer NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS {runs_thread_idx} ON {runs} (thread_id);
    CREATE INDEX IF NOT EXISTS {runs_pending_idx} ON {runs} (available_at, run_id)
        WHERE status = 'pending';
    CREATE UNIQUE INDEX IF NOT EXISTS {runs_one_running} ON {runs} (thread_id)
        WHERE status = 'running';
    CREATE TABLE IF NOT EXISTS {crons} (
        cron_id text PRIMARY KEY, record jsonb NOT NULL,
        seq bigserial NOT NULL);
    """,
    """
    CREATE TABLE IF NOT EXISTS {streams} (
        run_id text PRIMARY KEY, resumable boolean NOT NULL DEFAULT false,
        done boolean NOT NULL DEFAULT false, result bytea,
        finished_at timestamptz);
    CREATE TABLE IF NOT EXISTS {frames} (
        run_id text NOT NULL, seq integer NOT NULL, event text NOT NULL,
        data bytea NOT NULL, PRIMARY KEY (run_id, seq));
    """,
    """
    CREATE TABLE IF NOT EXISTS {thread_ttls} (
        thread_id text PRIMARY KEY, strategy text NOT NULL,
        ttl_minutes double precision NOT NULL, expires_at timestamptz NOT NULL);
    CREATE INDEX IF NOT EXISTS {thread_ttls_due_idx} ON {thread_ttls} (expires_at);
    """,
]


@dataclass(frozen=True, slots=True)
class Names:
    """Table identifiers, qualified by a schema when one is given."""

    schema: str | None
    #: The schema the tables landed in (read at setup when ``schema`` is None).
    label: str | None = None

    def table(self, name: str) -> sql.Composable:
        """The identifier of table ``sg_<name>``."""
        if self.schema is None:
            return sql.Identifier(f"sg_{name}")
        return sql.Identifier(self.schema, f"sg_{name}")

    def index(self, name: str) -> sql.Composable:
        """An index name (indexes live in their table's schema)."""
        return sql.Identifier(f"sg_{name}")

    def format(self, template: str) -> sql.Composed:
        """``template`` with ``{resource}`` placeholders filled in."""
        tables = {
            name: self.table(name)
            for name in (*TABLES, "streams", "frames", "thread_ttls")
        }
        indexes = {
            name: self.index(name)
            for name in (
                *("runs_thread_idx", "runs_pending_idx", "runs_one_running"),
                "thread_ttls_due_idx",
            )
        }
        return sql.SQL(template).format(**tables, **indexes)

    @property
    def migrations(self) -> sql.Composable:
        """The migrations table."""
        return self.table("server_migrations")

    @property
    def channel(self) -> str:
        """The NOTIFY channel prefix of this schema's server."""
        return f"sg_{self.schema or self.label or 'public'}"


#: Merge into a cron only while it is enabled and its ``next_run_date`` is
#: the tick being claimed. Concurrent claimers queue on the row lock and
#: re-check the condition against the winner's update, so exactly one of
#: them matches.
CLAIM_CRON = """
    UPDATE {crons} SET record = record || %s
    WHERE cron_id = %s AND record->'next_run_date' = %s
      AND record->'enabled' = 'true'
    RETURNING record
"""
#: Push expired TTLs to a retry time, skipping rows another process holds.
CLAIM_EXPIRED = """
    UPDATE {thread_ttls} SET expires_at = %s
    WHERE thread_id IN (
        SELECT thread_id FROM {thread_ttls} WHERE expires_at <= %s
        ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED)
    RETURNING thread_id, strategy, ttl_minutes, expires_at
"""
PUT_TTL = """
    INSERT INTO {thread_ttls} (thread_id, strategy, ttl_minutes, expires_at)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (thread_id) DO UPDATE SET strategy = EXCLUDED.strategy,
        ttl_minutes = EXCLUDED.ttl_minutes, expires_at = EXCLUDED.expires_at
"""


def ttl_record(strategy: str, minutes: float, expires_at: datetime) -> dict[str, Any]:
    """A TTL row as ``Storage`` returns it (``expires_at`` in UTC, ISO 8601)."""
    return {
        "strategy": strategy,
        "ttl_minutes": minutes,
        "expires_at": expires_at.astimezone(timezone.utc).isoformat(),
    }


def jsonb(value: Any) -> Jsonb:
    """``value`` as a JSONB parameter, encoded as the wire JSON."""
    return Jsonb(value, dumps=lambda v: _json.dumps(v).decode())


def _equals(key: str, value: Any) -> tuple[sql.Composable, list[Any]]:
    if value is None:  # a missing key equals None too, as in the memory backend
        return (
            sql.SQL("(record->{k} IS NULL OR record->{k} = 'null'::jsonb)").format(
                k=sql.Literal(key)
            ),
            [],
        )
    return sql.SQL("record->{k} = %s").format(k=sql.Literal(key)), [jsonb(value)]


def where(query: Query, id_column: str) -> tuple[sql.Composable, list[Any]]:
    """The WHERE clause (``TRUE`` when nothing filters) and its parameters."""
    parts: list[sql.Composable] = []
    params: list[Any] = []
    if query.ids is not None:
        parts.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(id_column)))
        params.append(list(query.ids))
    for key, value in query.equals.items():
        clause, more = _equals(key, value)
        parts.append(clause)
        params += more
    for key in ("metadata", "values"):
        wanted = getattr(query, key)
        if wanted is not None:
            parts.append(sql.SQL("record->{} @> %s").format(sql.Literal(key)))
            params.append(jsonb(wanted))
    if query.auth:
        condition, more = to_sql(query.auth, "record->'metadata'")
        # Safe as SQL text: keys and values of the filter are parameters.
        parts.append(sql.SQL(condition))
        params += more
    if not parts:
        return sql.SQL("TRUE"), params
    return sql.SQL(" AND ").join(parts), params


def search(
    table: sql.Composable,
    query: Query,
    id_column: str,
    extra: Sequence[tuple[sql.Composable, Any]] = (),
) -> tuple[sql.Composed, list[Any]]:
    """One page of matching records with the total count of matches."""
    clause, params = where(query, id_column)
    for condition, value in extra:
        clause = sql.SQL("{} AND {}").format(clause, condition)
        params.append(value)
    # JSON null sorts as a missing value: first ascending, last descending.
    direction = sql.SQL(
        "ASC NULLS FIRST" if query.sort_order == "asc" else "DESC NULLS LAST"
    )
    statement = sql.SQL(
        "SELECT record, count(*) OVER () FROM {table} WHERE {clause}"
        " ORDER BY NULLIF(record->%s, 'null'::jsonb) {direction}, seq"
        " LIMIT %s OFFSET %s"
    ).format(table=table, clause=clause, direction=direction)
    params += [query.sort_by or "created_at", query.limit, query.offset]
    return statement, params


def count(
    table: sql.Composable,
    query: Query,
    id_column: str,
    extra: Sequence[tuple[sql.Composable, Any]] = (),
) -> tuple[sql.Composed, list[Any]]:
    """The number of matching records (when the page came back empty)."""
    clause, params = where(query, id_column)
    for condition, value in extra:
        clause = sql.SQL("{} AND {}").format(clause, condition)
        params.append(value)
    statement = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(table, clause)
    return statement, params
