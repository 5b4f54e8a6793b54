"""``AsyncBatchedBaseStore``: coalesces concurrent async calls into one ``abatch``.

Calls made in the same event-loop tick are queued, deduplicated (equal reads
share one operation; puts to one key keep the last) and run as one
``abatch``. The sync API hands work to the store's loop, so it only works
from other threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

from stategraph.errors import GraphBubbleUp
from stategraph.store.base._args import (
    list_namespaces_op,
    validate_namespace_labels,
)
from stategraph.store.base._records import (
    NOT_PROVIDED,
    Item,
    NamespacePath,
    NotProvided,
    Op,
    PutOp,
    Result,
    SearchItem,
)
from stategraph.store.base._store import (
    BaseStore,
)

Entry = tuple["asyncio.Future[Result]", Op]


def dedupe_ops(ops: list[Op]) -> tuple[list[int] | None, list[Op]]:
    """Merge duplicate operations.

    Returns:
        For each input op, the index of the merged op answering it (``None``
        when nothing was merged away), and the merged ops.
    """
    if len(ops) <= 1:
        return None, list(ops)
    merged: list[Op] = []
    listen: list[int] = []
    puts: dict[tuple[tuple[str, ...], str], int] = {}
    for op in ops:
        if isinstance(op, PutOp):
            ix = puts.setdefault((op.namespace, op.key), len(merged))
            if ix == len(merged):
                merged.append(op)
            else:
                merged[ix] = op
        else:
            # Reads may hold unhashable filters, so compare by equality.
            ix = next((i for i, m in enumerate(merged) if m == op), len(merged))
            if ix == len(merged):
                merged.append(op)
        listen.append(ix)
    return listen, merged


async def _drain(queue: asyncio.Queue[Entry], ref: weakref.ref[BaseStore]) -> None:
    """Run queued operations, one ``abatch`` per burst, while the store lives."""
    while True:
        entries = [await queue.get()]
        while not queue.empty():
            entries.append(queue.get_nowait())
        entries = [e for e in entries if not e[0].done()]
        if not entries:
            continue
        # Hold the store only while its batch runs, never while waiting on
        # the queue, so an unused store can be collected (ending this task).
        store = ref()
        if store is None:
            return
        listen, merged = dedupe_ops([op for _, op in entries])
        try:
            results = await store.abatch(merged)
        except GraphBubbleUp:
            raise
        except Exception as exc:  # handed to every caller of the burst
            for fut, _ in entries:
                if not fut.done():
                    fut.set_exception(exc)
            continue
        finally:
            del store
        if listen is not None:
            results = [results[ix] for ix in listen]
        for (fut, _), result in zip(entries, results, strict=True):
            if not fut.done():
                fut.set_result(result)


def _other_loop(store: BaseStore) -> str:
    return (
        f"{type(store).__name__} was created in another event loop than the "
        "one awaiting it, and its operations run on that loop. Create the "
        "store inside the event loop that uses it (e.g. in the same "
        "`asyncio.run(...)` or test)."
    )


class AsyncBatchedBaseStore(BaseStore):
    """Base of async stores: batches concurrent ``aget``/``aput``/... calls.

    Create it inside a running event loop. Subclasses implement ``abatch``;
    the sync methods run it on the store's loop and raise
    ``asyncio.InvalidStateError`` when called from that loop's thread.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._aqueue: asyncio.Queue[Entry] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._ensure_task()

    def __del__(self) -> None:
        task = getattr(self, "_task", None)
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                task.cancel()

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(_drain(self._aqueue, weakref.ref(self)))

    async def _submit(self, op: Op) -> Result:
        if asyncio.get_running_loop() is not self._loop:
            # Queued, the operation could never be awaited here, yet the
            # batch task would still run it whenever its own loop next runs.
            raise RuntimeError(_other_loop(self))
        self._ensure_task()
        fut: asyncio.Future[Result] = self._loop.create_future()
        self._aqueue.put_nowait((fut, op))
        return await fut

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Async ``get``, batched with concurrent calls."""
        return cast(
            "Item | None", await self._submit(self._get_op(namespace, key, refresh_ttl))
        )

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Async ``search``, batched with concurrent calls."""
        op = self._search_op(
            namespace_prefix, query, filter, limit, offset, refresh_ttl
        )
        return cast("list[SearchItem]", await self._submit(op))

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Async ``put``, batched with concurrent calls."""
        await self._submit(self._put_op(namespace, key, value, index, ttl))

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """Async ``delete``, batched with concurrent calls."""
        validate_namespace_labels(namespace)
        await self._submit(PutOp(namespace, str(key), None))

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Async ``list_namespaces``, batched with concurrent calls."""
        op = list_namespaces_op(prefix, suffix, max_depth, limit, offset)
        return cast("list[tuple[str, ...]]", await self._submit(op))

    def _check_loop(self, method: str) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return
        if running is self._loop:
            raise asyncio.InvalidStateError(
                f"Synchronous calls to {type(self).__name__} detected in the main "
                "event loop. This can lead to deadlocks or performance issues. "
                "Please use the asynchronous interface for main thread operations. "
                f"Specifically, replace `store.{method}(...)` with "
                f"`await store.a{method}(...)` "
            )

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``abatch`` on the store's loop from another thread and wait.

        Raises:
            asyncio.InvalidStateError: If called on the store's loop thread.
        """
        self._check_loop("batch")
        return asyncio.run_coroutine_threadsafe(
            self.abatch(list(ops)), self._loop
        ).result()

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Sync ``get`` from another thread (see ``batch``)."""
        self._check_loop("get")
        return super().get(namespace, key, refresh_ttl=refresh_ttl)

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Sync ``search`` from another thread (see ``batch``)."""
        self._check_loop("search")
        return super().search(
            namespace_prefix,
            query=query,
            filter=filter,
            limit=limit,
            offset=offset,
            refresh_ttl=refresh_ttl,
        )

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Sync ``put`` from another thread (see ``batch``)."""
        self._check_loop("put")
        super().put(namespace, key, value, index, ttl=ttl)

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Sync ``delete`` from another thread (see ``batch``)."""
        self._check_loop("delete")
        super().delete(namespace, key)

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Sync ``list_namespaces`` from another thread (see ``batch``)."""
        self._check_loop("list_namespaces")
        return super().list_namespaces(
            prefix=prefix,
            suffix=suffix,
            max_depth=max_depth,
            limit=limit,
            offset=offset,
        )
