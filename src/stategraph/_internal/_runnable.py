"""LangGraph's private ``langgraph._internal._runnable`` path.

``RunnableCallable`` is stategraph's own (see ``stategraph.prebuilt._runnable``);
the async checks are the ones LangGraph uses to pick a node's async path,
including callable objects whose ``__call__`` is async.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from stategraph.prebuilt._runnable import RunnableCallable as RunnableCallable

__all__ = ("RunnableCallable", "is_async_callable", "is_async_generator")


def is_async_callable(func: Any) -> TypeGuard[Callable[..., Awaitable[Any]]]:
    """Whether ``func`` (or its ``__call__``) is a coroutine function."""
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004  # objects with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def is_async_generator(func: Any) -> TypeGuard[Callable[..., AsyncIterator[Any]]]:
    """Whether ``func`` (or its ``__call__``) is an async generator function."""
    if inspect.isasyncgenfunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004  # objects with async __call__
    return call is not None and inspect.isasyncgenfunction(call)


def __getattr__(name: str) -> Any:
    # RunnableCallable needs langchain-core; load it only when asked for.
    if name == "RunnableCallable":
        from stategraph.prebuilt._runnable import RunnableCallable

        return RunnableCallable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
