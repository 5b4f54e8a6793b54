"""Runnable helpers at LangGraph's legacy ``langgraph.utils.runnable`` path.

Both names need langchain-core, so they load on first access and importing
this module stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from langchain_core.runnables import Runnable

    from stategraph.prebuilt._runnable import RunnableCallable as RunnableCallable

    RunnableLike = (
        Runnable[Any, Any] | Callable[..., Any] | Callable[..., Awaitable[Any]]
    )

__all__ = ("RunnableCallable", "RunnableLike")


def _runnable_like() -> Any:
    # What a graph accepts as a node: a runnable or a (sync/async) callable.
    from collections.abc import Awaitable, Callable

    from langchain_core.runnables import Runnable

    return Runnable[Any, Any] | Callable[..., Any] | Callable[..., Awaitable[Any]]


def __getattr__(name: str) -> Any:
    if name == "RunnableCallable":
        from stategraph.prebuilt._runnable import RunnableCallable

        return RunnableCallable
    if name == "RunnableLike":
        return _runnable_like()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
