"""What a process made by ``os.fork`` must not inherit as is from savers and caches.

A forked child has a copy of every object but only the thread that forked:
the parent's other threads (a Postgres saver's background writer, say) do
not exist there, and a lock one of them held at the fork stays held for
good. Objects with such state register here, weakly (registering keeps
nothing alive); in the child, before its code resumes, each one's
``_after_fork_in_child`` runs and resets it. Module-level state registers
its own ``os.register_at_fork`` handler where it is defined.

Connections are not reset: a child must not use its parent's database
connections (neither libpq nor SQLite allow it), so it opens a saver of its own.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol


class ForkAware(Protocol):
    """An object with state to reset in a forked child."""

    def _after_fork_in_child(self) -> None: ...


_TRACKED: weakref.WeakSet[Any] = weakref.WeakSet()


def track(obj: ForkAware) -> None:
    """Reset ``obj`` (``obj._after_fork_in_child()``) in every forked child."""
    _TRACKED.add(obj)


def renew(lock: Any) -> Any:
    """A new, released lock of the same kind as ``lock`` (``Lock`` or ``RLock``)."""
    if isinstance(lock, type(threading.RLock())):
        return threading.RLock()
    return threading.Lock()


def owned(func: Callable[[], object]) -> Callable[[], None]:
    """``func``, as a no-op in forked children (for finalizers and ``atexit``).

    Closing a connection inherited from the parent would end the parent's
    session: the socket is shared.
    """
    pid = os.getpid()

    def call() -> None:
        if os.getpid() == pid:
            func()

    return call


def _reset_tracked() -> None:
    for obj in list(_TRACKED):
        obj._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX only
    os.register_at_fork(after_in_child=_reset_tracked)
