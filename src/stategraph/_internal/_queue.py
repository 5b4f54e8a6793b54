"""``AsyncQueue``: an asyncio queue one can wait on without taking an item.

LangGraph's ``langgraph._internal._queue`` helper, for code that imports it.
"""

from __future__ import annotations

import asyncio
from typing import Any


class AsyncQueue(asyncio.Queue[Any]):
    """Unbounded FIFO queue with ``wait()``: block until an item is there."""

    async def wait(self) -> None:
        """Wait until the queue is not empty, leaving the item in place."""
        while self.empty():
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)  # type: ignore[attr-defined]  # Queue internals
            try:
                await getter
            except BaseException:
                getter.cancel()
                if getter in self._getters:  # type: ignore[attr-defined]  # Queue internals
                    self._getters.remove(getter)  # type: ignore[attr-defined]  # Queue internals
                if not self.empty() and not getter.cancelled():
                    # Woken by a put but giving up: wake the next waiter.
                    self._wakeup_next(self._getters)  # type: ignore[attr-defined]  # Queue internals
                raise


class Wakeup(AsyncQueue):
    """An ``asyncio.Event``-like signal built on ``AsyncQueue``.

    The async driver wakes a streaming caller with it, as LangGraph's caller
    waits on its stream's ``AsyncQueue``: code that watches
    ``AsyncQueue.wait`` (LangGraph's tests patch it) sees the same waits.
    """

    def set(self) -> None:
        """Wake the waiter (once, however often it is called)."""
        if self.empty():
            self.put_nowait(None)

    def clear(self) -> None:
        """Take the pending wake-up, if any."""
        while not self.empty():
            self.get_nowait()
