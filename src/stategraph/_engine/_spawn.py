"""Running task calls for the drivers: the futures ``@task`` functions return.

The loop plans a called task (``_calls.accept_call``); this module runs it and
resolves the caller's future. Sync runs hand calls to worker threads but let
a caller that blocks on a result run the call itself if no worker has started
it, so nested calls never wait on a full pool. Async runs start calls as
asyncio tasks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
import time
import weakref
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from stategraph._engine import _async, _sync, _threads
from stategraph._engine._calls import Call, accept_call, outcome
from stategraph._engine._runner import SLOW_TASK_SECONDS
from stategraph._engine._task import Task

T = TypeVar("T")
CALL_START_TURNS = 2
_ASYNC_IN_SYNC = "In an sync context async tasks cannot be called"
# Background saves of call writes: unlike a call's own failure (raised in its
# caller), a saver error fails the step.
_SAVES: weakref.WeakSet[asyncio.Future[None]] = weakref.WeakSet()


class CallFuture(concurrent.futures.Future[T]):
    """The result of a task call in a sync run.

    Calls start when their caller first waits on one of them: the awaited one
    runs in the waiting thread (unless a worker already took it), so nested
    calls never wait on a full pool. Calls made together go to worker threads
    once one of them is known to block; quick ones run in call order.
    """

    def __init__(self, body: Callable[[], Any], siblings: list[Any], node: Any) -> None:
        super().__init__()
        self._body = body
        self._node = node
        self._claim = threading.Lock()
        self._context = contextvars.copy_context()
        self._siblings = siblings
        self.started = False

    def run(self) -> None:
        """Run the call unless another thread already does."""
        if not self._claim.acquire(blocking=False):
            return
        self.started = True
        try:
            value = self._context.run(self._body)
        except BaseException as exc:
            self.set_exception(exc)
        else:
            self.set_result(value)

    def start(self) -> None:
        """Hand the call to a worker thread, once."""
        if not self.started:
            self.started = True
            _threads.pool().submit(self.run)

    def _wait_here(self) -> None:
        if self._claim.locked():
            return
        siblings = [f for f in list(self._siblings) if f is not self and not f.started]
        if any(f._node.bound_blocking for f in (self, *siblings)):
            for sibling in siblings:
                sibling.start()
            self.run()
            return
        started = time.perf_counter()
        self.run()
        elapsed = time.perf_counter() - started
        self._node.note_duration(elapsed, SLOW_TASK_SECONDS)
        if self._node.bound_blocking or elapsed > SLOW_TASK_SECONDS:
            for sibling in siblings:
                sibling.start()

    def result(self, timeout: float | None = None) -> T:
        """Block until the call is done (running it here if nobody has)."""
        self._wait_here()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Block until the call is done; return its exception, if any."""
        self._wait_here()
        return super().exception(timeout)

    def __await__(self) -> Generator[Any, None, T]:
        return asyncio.wrap_future(self).__await__()


def _resolved(child: Task) -> Any:
    ok, value = outcome(child)
    if not ok:
        raise value
    return value


def _cache_hit(loop: Any, child: Task, cache: Any) -> list[Any] | None:
    """Writes cached for ``child``, or ``None``; sets its cache key."""
    if cache is None or loop.graph.cache_key_for(child) is None:
        return None
    key = child.cache_key
    hits: dict[Any, list[Any]] = cache.get([(key.ns, key.key)])
    return hits.get((key.ns, key.key))


def sync_call_impl(loop: Any, saver: Any, cache: Any, lock: threading.Lock) -> Any:
    """The ``CONFIG_KEY_CALL`` function of a sync run."""

    def run(child: Task) -> Any:
        if child.writes:
            return _resolved(child)
        cached = _cache_hit(loop, child, cache)
        if cached is not None:
            child.writes.extend(cached)
            with lock:
                for effect in loop.put_writes(
                    child.id, cached, cached=True, task=child
                ):
                    _sync.perform(effect, saver, None)
            return _resolved(child)
        exc = _sync.run_task(child)
        with lock:
            for effect in loop.commit(child, exc):
                _sync.perform(effect, saver, None)
        if exc is not None:
            raise exc
        _store(loop, child, cache)
        return _resolved(child)

    def call(parent: Task, func: Any, input: Any, **options: Any) -> CallFuture[Any]:
        if inspect.iscoroutinefunction(func):
            raise RuntimeError(_ASYNC_IN_SYNC)
        with lock:
            child = accept_call(loop, parent, Call(func, input, **options))
            future: CallFuture[Any] = CallFuture(
                lambda: run(child), loop.calls, child.node
            )
            if child.writes:
                future.run()
            else:
                loop.calls.append(future)
        return future

    return call


def _store(loop: Any, child: Task, cache: Any) -> None:
    key = child.cache_key
    if cache is not None and key is not None:
        cache.set({(key.ns, key.key): (child.writes, key.ttl)})


async def _save(effects: list[Any], saver: Any) -> None:
    for effect in effects:
        await _async.perform(effect, saver, None)


def async_call_impl(loop: Any, saver: Any, cache: Any) -> Any:
    """The ``CONFIG_KEY_CALL`` function of an async run."""
    event_loop = asyncio.get_running_loop()
    lock = threading.Lock()

    async def arun(child: Task) -> Any:
        if child.writes:
            return _resolved(child)
        if cache is not None and await _from_cache(loop, child, saver, cache):
            return _resolved(child)
        # LangGraph starts a call's body three turns after the call, commits
        # it five turns after the body: calls started alongside run meanwhile
        await _async.yield_turns(CALL_START_TURNS, loop)
        exc = await _async.run_task(child)
        await _async.yield_turns(_async.COMMIT_TURNS, loop)
        effects = loop.commit(child, exc)
        if effects:
            # LangGraph hands a call's writes to its background executor and
            # resolves the caller at once; the step still waits for them
            # (``finish_async_calls``) before its checkpoint is saved.
            saving = asyncio.ensure_future(_save(effects, saver))
            _SAVES.add(saving)
            loop.calls.append(saving)
        if exc is not None:
            raise exc
        key = child.cache_key
        if cache is not None and key is not None:
            await cache.aset({(key.ns, key.key): (child.writes, key.ttl)})
        return _resolved(child)

    def call(parent: Task, func: Any, input: Any, **options: Any) -> Any:
        with lock:
            child = accept_call(loop, parent, Call(func, input, **options))
        try:
            on_loop = asyncio.get_running_loop() is event_loop
        except RuntimeError:
            on_loop = False
        future: Any
        if not on_loop:
            future = asyncio.run_coroutine_threadsafe(arun(child), event_loop)
        elif loop.inline_task is parent:
            return _inline_call(loop, child)
        else:
            future = asyncio.ensure_future(arun(child))
        loop.calls.append(future)
        return future

    return call


async def _from_cache(loop: Any, child: Task, saver: Any, cache: Any) -> bool:
    """Take a call's writes from the cache (and save them); tell whether it hit."""
    if loop.graph.cache_key_for(child) is None:
        return False
    key = child.cache_key
    hits = await cache.aget([(key.ns, key.key)])
    if (key.ns, key.key) not in hits:
        return False
    child.writes.extend(hits[(key.ns, key.key)])
    for effect in loop.put_writes(child.id, child.writes, cached=True, task=child):
        await _async.perform(effect, saver, None)
    await _async.yield_turns(1, loop)
    return True


def _inline_call(loop: Any, child: Task) -> concurrent.futures.Future[Any]:
    """Run a call in the calling thread: a sync node on the event loop's thread.

    It cannot wait for the loop, so the call runs right here and its writes
    are saved after the node.
    """
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    if not child.writes:
        if inspect.iscoroutinefunction(child.node.bound):
            raise RuntimeError(_ASYNC_IN_SYNC)
        exc = _sync.run_task(child)
        loop.deferred.extend(loop.commit(child, exc))
        if exc is not None:
            future.set_exception(exc)
            return future
    ok, value = outcome(child)
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
    return future


def finish_sync_calls(loop: Any) -> None:
    """Wait for the calls of the step nobody waited on (run them if unstarted)."""
    while loop.calls:
        pending, loop.calls[:] = list(loop.calls), []
        for future in pending:
            future.exception()


async def settle_saves(loop: Any) -> None:
    """Wait for call writes still being saved when a run ends mid-step.

    A step that times out or is cancelled skips ``finish_async_calls``; the
    writes of calls whose callers already resumed must still reach the saver
    before the run returns (LangGraph's background executor waits for them).
    """
    saves = [future for future in loop.calls if future in _SAVES]
    if saves:
        # ``wait``, not ``gather``: a second cancellation of the run must not
        # cancel a save mid-query (psycopg would close its connection).
        await asyncio.wait(saves)


async def finish_async_calls(loop: Any) -> None:
    """Await the calls of the step nobody awaited."""
    failed: BaseException | None = None
    while loop.calls:
        pending, loop.calls[:] = list(loop.calls), []
        for future in pending:
            if isinstance(future, concurrent.futures.Future):
                future = asyncio.wrap_future(future)
            await asyncio.gather(future, return_exceptions=True)
            if failed is None and future in _SAVES and not future.cancelled():
                failed = future.exception()
    if failed is not None:
        raise failed
