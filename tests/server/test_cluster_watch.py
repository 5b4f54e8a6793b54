"""``PostgresBroker.watched`` across processes: advisory-lock marks in PostgreSQL.

Each broker here has its own pool and lock connection, as each process of
``stategraph serve`` does. Whether a thread is watched decides whether a state
update sends a state event, so it must count watchers in every process, and
must not count those that are gone (closed, or whose process died).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from psycopg_pool import AsyncConnectionPool

from stategraph.server._pg_broker import PostgresBroker
from stategraph.server._storage.postgres import CONNECT_KWARGS, PostgresStorage

pytestmark = pytest.mark.asyncio

Make = Callable[[str], Awaitable[PostgresBroker]]


async def _until(check: Callable[[], Awaitable[bool]], wanted: bool) -> bool:
    """Poll ``check`` until it gives ``wanted`` (``False`` after 10 s)."""
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        if await check() == wanted:
            return True
        await asyncio.sleep(0.02)  # releases are done in the background
    return False


@pytest_asyncio.fixture
async def make(schemas: Callable[[], str]) -> AsyncIterator[Make]:
    """Brokers as separate processes would have them: a pool each."""
    opened: list[tuple[AsyncConnectionPool[Any], PostgresBroker]] = []

    async def broker(uri: str) -> PostgresBroker:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            uri, kwargs=CONNECT_KWARGS, min_size=1, max_size=4, open=False
        )
        await pool.open(wait=True)
        storage = PostgresStorage(pool)
        await storage.setup()
        made = PostgresBroker(storage)
        await made.start()
        opened.append((pool, made))
        return made

    try:
        yield broker
    finally:
        for pool, made in opened:
            await made.aclose()
            await pool.close()


async def test_watchers_in_any_process_count(
    make: Make, schemas: Callable[[], str]
) -> None:
    uri = schemas()
    one, two, three = await make(uri), await make(uri), await make(uri)
    assert not await two.watched("t1")
    first = await one.watch("t1")
    second = await one.watch("t1")
    third = await three.watch("t1")
    assert await two.watched("t1")
    assert not await two.watched("t2")
    first.close()
    first.close()  # closing twice releases once
    third.close()
    # Whatever the releases have done yet, the second watch still holds.
    assert await three.watched("t1")
    assert await two.watched("t1")
    second.close()
    assert await _until(lambda: two.watched("t1"), False)
    # A thread watched again is marked again.
    again = await two.watch("t1")
    assert await one.watched("t1")
    again.close()
    assert await _until(lambda: one.watched("t1"), False)


async def test_a_closed_process_leaves_no_mark(
    make: Make, schemas: Callable[[], str]
) -> None:
    uri = schemas()
    alive, gone = await make(uri), await make(uri)
    await gone.watch("t1")  # never closed: the process ends instead
    assert await alive.watched("t1")
    await gone.aclose()  # its lock connection closes, as when a process dies
    # The server ends the session a moment after the client hangs up.
    assert await _until(lambda: alive.watched("t1"), False)


async def test_servers_on_other_schemas_do_not_see_each_other(
    make: Make, schemas: Callable[[], str]
) -> None:
    here, there = await make(schemas()), await make(schemas())
    watch = await here.watch("t1")
    assert await here.watched("t1")
    assert not await there.watched("t1")
    watch.close()
