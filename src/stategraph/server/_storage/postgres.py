"""PostgreSQL ``Storage``: assistants, threads, runs and crons as JSONB rows.

Every API process and worker of ``stategraph serve`` shares one database, so
any process can answer any request. Searches filter with JSON containment
(``@>``), sort on a record field and count the matches in one statement.
``setup()`` creates or migrates the tables under an advisory lock, so several
processes starting at once do not race.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg import sql
from psycopg.rows import tuple_row

from stategraph.server._storage import _pg_sql
from stategraph.server._storage._pg_sql import (
    MIGRATIONS,
    TABLES,
    Names,
    jsonb,
    ttl_record,
)
from stategraph.server._storage.base import Page, Query, Record, Storage

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

#: Connection settings the pool must use (statements are not prepared, so a
#: pooler in transaction mode in front of PostgreSQL works too).
CONNECT_KWARGS: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0}

_SETUP_LOCK = sql.SQL("SELECT pg_advisory_xact_lock(hashtext({}))")


class PostgresStorage(Storage):
    """``Storage`` in PostgreSQL tables named ``sg_<resource>``.

    Args:
        pool: An open ``psycopg_pool.AsyncConnectionPool`` whose connections
            are in autocommit mode (see ``CONNECT_KWARGS``).
        schema: Schema of the tables (``None``: the connection's
            ``search_path``). Tests give each run its own.

    Call ``setup()`` once before use.
    """

    def __init__(
        self, pool: AsyncConnectionPool[Any], *, schema: str | None = None
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.names = Names(schema)

    async def setup(self) -> None:
        """Create the tables, or migrate them to the newest version."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute("SELECT current_schema()")
            row = await cur.fetchone()
            self.names = names = Names(self.schema, row[0] if row else None)
            await cur.execute(_SETUP_LOCK.format(sql.Literal(names.channel)))
            await cur.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} (v integer PRIMARY KEY)").format(
                    names.migrations
                )
            )
            await cur.execute(sql.SQL("SELECT max(v) FROM {}").format(names.migrations))
            row = await cur.fetchone()
            current = -1 if row is None or row[0] is None else int(row[0])
            for version in range(current + 1, len(MIGRATIONS)):
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        await cur.execute(names.format(statement))
                await cur.execute(
                    sql.SQL("INSERT INTO {} (v) VALUES (%s)").format(names.migrations),
                    (version,),
                )

    # -- helpers ----------------------------------------------------------------

    async def _rows(
        self, statement: sql.Composable, params: Sequence[Any]
    ) -> list[Any]:
        async with self.pool.connection() as conn:
            cur = await conn.cursor(row_factory=tuple_row).execute(statement, params)
            rows: list[Any] = await cur.fetchall()
            return rows

    async def _execute(self, statement: sql.Composable, params: Sequence[Any]) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.cursor(row_factory=tuple_row).execute(statement, params)
            count: int = cur.rowcount
            return count

    def _upsert(self, resource: str, record: Record) -> tuple[sql.Composed, Any]:
        id_column = TABLES[resource]
        statement = sql.SQL(
            "INSERT INTO {t} ({id}, record) VALUES (%s, %s)"
            " ON CONFLICT ({id}) DO UPDATE SET record = EXCLUDED.record"
        ).format(t=self.names.table(resource), id=sql.Identifier(id_column))
        return statement, (record[id_column], jsonb(record))

    def _upsert_run(self, record: Record) -> tuple[sql.Composed, Any]:
        # A delayed run is created in the future: it is due at its created_at.
        due = datetime.fromisoformat(record["created_at"])
        statement = sql.SQL(
            "INSERT INTO {} (run_id, record, available_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (run_id) DO UPDATE SET record = EXCLUDED.record"
        ).format(self.names.table("runs"))
        return statement, (record["run_id"], jsonb(record), due)

    async def _put(self, resource: str, record: Record) -> None:
        await self._execute(*self._upsert(resource, record))

    async def _get(self, resource: str, key: str) -> Record | None:
        statement = sql.SQL("SELECT record FROM {t} WHERE {id} = %s").format(
            t=self.names.table(resource), id=sql.Identifier(TABLES[resource])
        )
        rows = await self._rows(statement, (key,))
        return rows[0][0] if rows else None

    async def _delete(self, resource: str, key: str) -> bool:
        statement = sql.SQL("DELETE FROM {t} WHERE {id} = %s").format(
            t=self.names.table(resource), id=sql.Identifier(TABLES[resource])
        )
        return await self._execute(statement, (key,)) > 0

    async def _search(
        self,
        resource: str,
        query: Query,
        extra: Sequence[tuple[sql.Composable, Any]] = (),
    ) -> Page:
        table = self.names.table(resource)
        id_column = TABLES[resource]
        rows = await self._rows(*_pg_sql.search(table, query, id_column, extra))
        if rows:
            return Page([row[0] for row in rows], int(rows[0][1]))
        total = await self._rows(*_pg_sql.count(table, query, id_column, extra))
        return Page([], int(total[0][0]))

    # -- assistants -----------------------------------------------------------

    async def put_assistant(self, record: Record) -> None:
        await self._put("assistants", record)

    async def get_assistant(self, assistant_id: str) -> Record | None:
        return await self._get("assistants", assistant_id)

    async def delete_assistant(self, assistant_id: str) -> bool:
        async with self.pool.connection() as conn, conn.transaction():
            await _delete_where(
                conn,
                self.names.table("assistant_versions"),
                "assistant_id",
                assistant_id,
            )
            return (
                await _delete_where(
                    conn, self.names.table("assistants"), "assistant_id", assistant_id
                )
                > 0
            )

    async def search_assistants(self, query: Query) -> Page:
        return await self._search("assistants", query)

    async def put_assistant_version(self, record: Record) -> None:
        statement = sql.SQL(
            "INSERT INTO {} (assistant_id, version, record) VALUES (%s, %s, %s)"
            " ON CONFLICT (assistant_id, version)"
            " DO UPDATE SET record = EXCLUDED.record"
        ).format(self.names.table("assistant_versions"))
        params = (record["assistant_id"], int(record["version"]), jsonb(record))
        await self._execute(statement, params)

    async def assistant_versions(self, assistant_id: str, query: Query) -> Page:
        condition = sql.SQL("assistant_id = %s")
        return await self._search(
            "assistant_versions", query, [(condition, assistant_id)]
        )

    # -- threads --------------------------------------------------------------

    async def put_thread(self, record: Record) -> None:
        await self._put("threads", record)

    async def get_thread(self, thread_id: str) -> Record | None:
        return await self._get("threads", thread_id)

    async def delete_thread(self, thread_id: str) -> bool:
        async with self.pool.connection() as conn, conn.transaction():
            await _delete_where(conn, self.names.table("runs"), "thread_id", thread_id)
            ttls = self.names.table("thread_ttls")
            await _delete_where(conn, ttls, "thread_id", thread_id)
            return (
                await _delete_where(
                    conn, self.names.table("threads"), "thread_id", thread_id
                )
                > 0
            )

    async def search_threads(self, query: Query) -> Page:
        return await self._search("threads", query)

    # -- runs -----------------------------------------------------------------

    async def put_run(self, record: Record) -> None:
        await self._execute(*self._upsert_run(record))

    async def get_run(self, run_id: str) -> Record | None:
        return await self._get("runs", run_id)

    async def delete_run(self, run_id: str) -> bool:
        return await self._delete("runs", run_id)

    async def search_runs(self, query: Query) -> Page:
        return await self._search("runs", query)

    # -- crons ----------------------------------------------------------------

    async def put_cron(self, record: Record) -> None:
        await self._put("crons", record)

    async def get_cron(self, cron_id: str) -> Record | None:
        return await self._get("crons", cron_id)

    async def delete_cron(self, cron_id: str) -> bool:
        return await self._delete("crons", cron_id)

    async def search_crons(self, query: Query) -> Page:
        return await self._search("crons", query)

    async def claim_cron(
        self,
        cron_id: str,
        due: str,
        changes: Record,
        *,
        thread: Record | None = None,
        run: Record | None = None,
    ) -> Record | None:
        # One transaction: the runs table is the run queue, so a committed
        # claim has its run queued, and a process dying before the commit
        # leaves the tick due for any scheduler to claim again.
        writes = []
        if thread is not None:
            writes.append(self._upsert("threads", thread))
        if run is not None:
            writes.append(self._upsert_run(run))
        claim = self.names.format(_pg_sql.CLAIM_CRON)
        async with self.pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(claim, (jsonb(changes), cron_id, jsonb(due)))
            row = await cur.fetchone()
            if row is None:
                return None
            for statement, params in writes:
                await cur.execute(statement, params)
            claimed: Record = row[0]
            return claimed

    # -- thread expiries --------------------------------------------------------

    async def put_thread_ttl(self, thread_id: str, ttl: Record) -> None:
        at = datetime.fromisoformat(ttl["expires_at"])
        params = (thread_id, ttl["strategy"], ttl["ttl_minutes"], at)
        await self._execute(self.names.format(_pg_sql.PUT_TTL), params)

    async def get_thread_ttl(self, thread_id: str) -> Record | None:
        statement = sql.SQL(
            "SELECT strategy, ttl_minutes, expires_at FROM {} WHERE thread_id = %s"
        ).format(self.names.table("thread_ttls"))
        rows = await self._rows(statement, (thread_id,))
        return ttl_record(*rows[0]) if rows else None

    async def delete_thread_ttl(self, thread_id: str) -> None:
        await self._execute(
            sql.SQL("DELETE FROM {} WHERE thread_id = %s").format(
                self.names.table("thread_ttls")
            ),
            (thread_id,),
        )

    async def claim_expired_threads(
        self, now: datetime, retry_at: datetime, limit: int
    ) -> list[tuple[str, Record]]:
        statement = self.names.format(_pg_sql.CLAIM_EXPIRED)
        rows = await self._rows(statement, (retry_at, now, limit))
        return [(row[0], ttl_record(*row[1:])) for row in rows]

    async def next_thread_expiry(self) -> datetime | None:
        statement = sql.SQL("SELECT min(expires_at) FROM {}").format(
            self.names.table("thread_ttls")
        )
        rows = await self._rows(statement, ())
        found: datetime | None = rows[0][0]
        return found


async def _delete_where(
    conn: AsyncConnection[Any], table: sql.Composable, column: str, value: str
) -> int:
    statement = sql.SQL("DELETE FROM {} WHERE {} = %s").format(
        table, sql.Identifier(column)
    )
    cur = await conn.cursor(row_factory=tuple_row).execute(statement, (value,))
    return cur.rowcount
