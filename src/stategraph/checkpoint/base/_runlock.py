"""The optional "one process runs a thread at a time" capability of savers.

A saver that can lock a thread for the length of a run defines
``run_lock(thread_id)`` (a context manager) and, for asyncio runs,
``arun_lock(thread_id)`` (an async one); the engine enters it around every
root run (not subgraphs, whose parent holds it, nor state reads or updates).
Savers without it (``InMemorySaver``, third-party ones) run unlocked, as in
LangGraph.

The lock is held by the process: runs of one process on one thread share
it (a count of holders per thread), so a program that interleaves two
streams on one thread keeps working, and only other processes wait for it
(``"wait"``) or fail with ``ThreadBusyError`` (``"raise"``). Each saver
supplies the primitive, one released by the OS or the database when its
holder dies (a ``flock`` on a file, a PostgreSQL session advisory lock), and
``hold``/``ahold`` add the per-process count, the polling and the timeout.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Hashable,
    Iterator,
)
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from stategraph.errors import ThreadBusyError

ThreadLock = Literal["wait", "raise", "off"]
"""What a run does when another process runs its thread: the savers' option."""

THREAD_LOCK_MODES = ("wait", "raise", "off")
# Polling backoff of a waiting run: first retry after 1 ms, then doubling up
# to 50 ms, so a freed lock is taken within 50 ms and an idle wait costs ~20
# wake-ups a second.
_FIRST_DELAY = 0.001
_MAX_DELAY = 0.05


def check_thread_lock(mode: str, timeout: float | None) -> None:
    """Validate the ``thread_lock`` and ``thread_lock_timeout`` saver options.

    Raises:
        ValueError: For an unknown mode or a negative timeout.
    """
    if mode not in THREAD_LOCK_MODES:
        raise ValueError(f"thread_lock must be 'wait', 'raise' or 'off', not {mode!r}")
    if timeout is not None and not timeout >= 0:
        raise ValueError(
            f"thread_lock_timeout must be None or >= 0 seconds, not {timeout!r}"
        )


@dataclass(slots=True)
class _Held:
    token: Any = None
    count: int = 0  # 0 while its first holder is still trying


_HELD: dict[Hashable, _Held] = {}
_GUARD = threading.Lock()


def _after_fork_in_child() -> None:
    # The locks held are the parent's: a child's run takes its own (and
    # waits for the parent's run like any other process's). The guard may
    # have been held by a thread that does not exist in the child.
    global _GUARD
    _GUARD = threading.Lock()
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _claim(key: Hashable) -> str:
    # "mine": the caller must try the primitive and then ``_settle``;
    # "shared": the process holds it, the caller joined; "pending": another
    # caller of this process is trying right now.
    with _GUARD:
        held = _HELD.get(key)
        if held is None:
            _HELD[key] = _Held()
            return "mine"
        if held.count == 0:
            return "pending"
        held.count += 1
        return "shared"


def _settle(key: Hashable, token: Any) -> None:
    with _GUARD:
        if token is None:
            del _HELD[key]
        else:
            held = _HELD[key]
            held.token, held.count = token, 1


def _leave(key: Hashable) -> Any:
    # The token to release when the caller was the process's last holder.
    with _GUARD:
        held = _HELD.get(key)
        if held is None:  # a forked child leaving its parent's run: not its lock
            return None
        held.count -= 1
        if held.count:
            return None
        del _HELD[key]
        return held.token


def process_holds(key: Hashable) -> bool:
    """Whether a run of this process holds the lock ``key``."""
    with _GUARD:
        held = _HELD.get(key)
        return held is not None and held.count > 0


def _busy(thread_id: str, where: str, timeout: float | None) -> ThreadBusyError:
    # ``timeout`` is None for "raise", the time waited for "wait".
    running = f"thread {thread_id!r} is being run by another process ({where})"
    if timeout is None:
        advice = "pass thread_lock='wait' to the saver to wait for it"
        return ThreadBusyError(
            f"{running}. Retry when that run ends, {advice}, or use another thread_id.",
            thread_id=thread_id,
        )
    return ThreadBusyError(
        f"{running}; waited for {timeout:g} s without getting its run lock. "
        "Retry when that run ends, raise thread_lock_timeout (None waits as "
        "long as it takes), or use another thread_id.",
        thread_id=thread_id,
    )


@dataclass(frozen=True, slots=True)
class RunLock:
    """How one saver takes the run lock of one thread.

    Attributes:
        key: Names the lock within this process (same key, same lock).
        thread_id: The thread, for error messages.
        where: The lock's location, for error messages (a path, a database).
        mode: ``"wait"`` or ``"raise"``.
        timeout: Seconds ``"wait"`` waits at most; ``None`` waits forever.
    """

    key: Hashable
    thread_id: str
    where: str
    mode: ThreadLock
    timeout: float | None


def _acquire(lock: RunLock) -> Generator[float | None, Any, None]:
    """The waiting policy without I/O, shared by ``hold`` and ``ahold``.

    Yields ``None`` to ask its driver to try the primitive (the driver sends
    back the token, ``None`` when another process has it, or throws what
    the try raised) and a number of seconds to ask it to sleep; returns once
    this process holds the lock.
    """
    deadline = None if lock.timeout is None else time.monotonic() + lock.timeout
    delay = _FIRST_DELAY
    while True:
        state = _claim(lock.key)
        if state == "shared":
            return
        if state == "mine":
            token = None
            try:
                token = yield None
            finally:
                _settle(lock.key, token)
            if token is not None:
                return
            if lock.mode == "raise":
                raise _busy(lock.thread_id, lock.where, None)
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise _busy(lock.thread_id, lock.where, lock.timeout)
        yield delay if left is None else min(delay, left)
        delay = min(delay * 2, _MAX_DELAY)


@contextmanager
def hold(
    lock: RunLock,
    try_take: Callable[[], Any],
    release: Callable[[Any], None],
) -> Iterator[None]:
    """Hold ``lock`` for the block, shared with this process's other holders.

    Args:
        lock: The lock and the waiting policy.
        try_take: Takes the primitive without waiting; returns a token
            (passed to ``release``) or ``None`` when another process has it.
        release: Releases the primitive; called by the process's last holder.

    Raises:
        ThreadBusyError: When another process holds it and the policy gives up.
    """
    steps = _acquire(lock)
    request = next(steps, _DONE)
    while request is not _DONE:
        if request is None:
            try:
                token = try_take()
            except BaseException as exc:
                steps.throw(exc)  # settles the claim, then raises ``exc``
                raise
            request = _send(steps, token)
        else:
            time.sleep(request)
            request = _send(steps, None)
    try:
        yield
    finally:
        token = _leave(lock.key)
        if token is not None:
            release(token)


@asynccontextmanager
async def ahold(
    lock: RunLock,
    try_take: Callable[[], Awaitable[Any]],
    release: Callable[[Any], Awaitable[None]],
) -> AsyncIterator[None]:
    """Async ``hold``: ``try_take`` and ``release`` are awaited, waits sleep."""
    steps = _acquire(lock)
    request = next(steps, _DONE)
    while request is not _DONE:
        if request is None:
            try:
                token = await try_take()
            except BaseException as exc:
                steps.throw(exc)  # settles the claim, then raises ``exc``
                raise
            request = _send(steps, token)
        else:
            await asyncio.sleep(request)
            request = _send(steps, None)
    try:
        yield
    finally:
        token = _leave(lock.key)
        if token is not None:
            await release(token)


_DONE: Any = object()


def _send(steps: Generator[float | None, Any, None], value: Any) -> Any:
    """``steps.send(value)``, or ``_DONE`` when the policy has finished."""
    try:
        return steps.send(value)
    except StopIteration:
        return _DONE


def run_lock_for(saver: Any, config: Any, nested: bool, *, asynchronous: bool) -> Any:
    """The context manager a run holds: the saver's run lock of its thread.

    A ``nullcontext()`` for runs that take none: no saver, a saver without
    ``run_lock`` (``arun_lock`` when ``asynchronous``), a subgraph
    (``nested``: its root run holds the lock) or a run with no thread id.
    """
    lock = getattr(saver, "arun_lock" if asynchronous else "run_lock", None)
    if lock is None or nested:
        return nullcontext()
    thread_id = config.get("configurable", {}).get("thread_id")
    return nullcontext() if thread_id is None else lock(str(thread_id))
