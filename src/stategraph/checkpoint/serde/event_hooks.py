"""Listeners of the serializer's allow-list decisions, under LangGraph's path.

``JsonPlusSerializer`` reports each time loading meets a type outside its
allow-list: ``"msgpack_unregistered_allowed"`` (loaded anyway, with a
warning), ``"msgpack_blocked"`` (not rebuilt) and ``"msgpack_method_blocked"``
(a method call the payload asks for is refused). Register a listener to count
or log them::

    from stategraph.checkpoint.serde.event_hooks import register_serde_event_listener

    unregister = register_serde_event_listener(lambda event: print(event))
    ...
    unregister()

A listener that raises is logged and skipped; the load goes on.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired

from stategraph.errors import GraphBubbleUp

__all__ = ("SerdeEvent", "emit_serde_event", "register_serde_event_listener")

logger = logging.getLogger(__name__)


class SerdeEvent(TypedDict):
    """One allow-list decision of the serializer.

    Attributes:
        kind: ``"msgpack_unregistered_allowed"``, ``"msgpack_blocked"`` or
            ``"msgpack_method_blocked"``.
        module: Module of the type named by the payload.
        name: Name of the type in that module.
        method: The refused method, for ``"msgpack_method_blocked"`` only.
    """

    kind: str
    module: str
    name: str
    method: NotRequired[str]


SerdeEventListener = Callable[[SerdeEvent], None]

# Emitting copies the list under the lock, so listeners run unlocked and may
# (un)register listeners themselves.
_lock = threading.Lock()
_listeners: list[SerdeEventListener] = []


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock at the fork; the
    # listeners stay registered.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)


def register_serde_event_listener(listener: SerdeEventListener) -> Callable[[], None]:
    """Call ``listener`` with every serde event from now on.

    Args:
        listener: Called with each ``SerdeEvent``, in the thread that loads.

    Returns:
        A function removing this registration (a no-op once removed).
    """
    with _lock:
        _listeners.append(listener)

    def unregister() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unregister


def emit_serde_event(event: SerdeEvent) -> None:
    """Pass ``event`` to every registered listener, in registration order.

    Args:
        event: The decision to report.
    """
    with _lock:
        listeners = tuple(_listeners)
    for listener in listeners:
        try:
            listener(event)
        except GraphBubbleUp:
            raise
        except Exception:  # a listener's bug must not fail the load
            logger.warning("Serde event listener %r failed", listener, exc_info=True)
