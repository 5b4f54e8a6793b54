"""``AsyncBridge``: what only the asyncio Postgres saver has.

``_async.py`` is the source of the generated ``_sync.py``; the rewrite maps
``AsyncBridge`` to ``BasePostgresSaver``. This base binds the saver to the
running event loop and gives it the blocking methods (run on that loop from
other threads) that the sync saver has natively.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Any

from stategraph._config import RunnableConfig
from stategraph.checkpoint._bridge import LoopBoundSaver
from stategraph.checkpoint._splice import SPLICE_EVERY
from stategraph.checkpoint.base import CheckpointTuple, SerializerProtocol
from stategraph.checkpoint.base._runlock import ThreadLock
from stategraph.checkpoint.postgres import _base
from stategraph.checkpoint.postgres._saver import BasePostgresSaver


class AsyncBridge(LoopBoundSaver[str], BasePostgresSaver):
    """Base of ``AsyncPostgresSaver``: loop binding and the blocking API."""

    _SAVER_NAME = "AsyncPostgresSaver"

    def __init__(
        self,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str = "FULL",
        splice_every: int = SPLICE_EVERY,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> None:
        super().__init__(
            serde=serde,
            keep_last=keep_last,
            synchronous=synchronous,
            splice_every=splice_every,
            thread_lock=thread_lock,
            thread_lock_timeout=thread_lock_timeout,
        )
        self.loop = asyncio.get_running_loop()

    async def _fetch(self, statement: _base.Statement) -> _base.Rows:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    async def astorage_size(self, thread_id: str) -> int:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Blocking ``alist``, for threads other than the loop's."""
        statement = _base.list_statement(config, filter, before, limit)
        yield from self._on_loop(self._tuples(statement))

    async def _tuples(self, statement: _base.Statement) -> Sequence[CheckpointTuple]:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    async def aflush_steps(self, config: RunnableConfig) -> None:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    def flush_steps(self, config: RunnableConfig) -> None:
        """Blocking ``aflush_steps``, for threads other than the loop's."""
        self._on_loop(self.aflush_steps(config))

    def storage_size(self, thread_id: str) -> int:
        """Blocking ``astorage_size``, for threads other than the loop's."""
        return self._on_loop(self.astorage_size(thread_id))
