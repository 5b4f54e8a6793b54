"""``@task``: functions whose calls run as checkpointed tasks of the running graph."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar, overload

from typing_extensions import ParamSpec

from stategraph._constants import CACHE_NS_WRITES
from stategraph._policies import TimeoutPolicy, sync_timeout_unsupported
from stategraph._types import CachePolicy, RetryPolicy
from stategraph.checkpoint.serde._registry import register_types
from stategraph.pregel._call import (
    SyncAsyncFuture,
    _is_async_callable,
    call_with_options,
    identifier,
    task_name,
)
from stategraph.warnings import LangGraphDeprecatedSinceV05

P = ParamSpec("P")
T = TypeVar("T")
_MISSING = object()


class _TaskFunction(Generic[P, T]):
    """A task function: calling it schedules a task and returns its future."""

    def __init__(
        self,
        func: Callable[P, Awaitable[T]] | Callable[P, T],
        *,
        retry_policy: Sequence[RetryPolicy],
        cache_policy: CachePolicy | None = None,
        timeout: TimeoutPolicy | None = None,
        name: str | None = None,
    ) -> None:
        if name is not None:
            func = _renamed(func, name)
        # A task's result is saved with the checkpoint: the classes it says it
        # returns load in any process that defines it, as entrypoint types do.
        returned = getattr(func, "__annotations__", {}).get("return")
        if returned is not None:
            register_types(returned)
        self.func = func
        self.retry_policy = retry_policy
        self.cache_policy = cache_policy
        self.timeout = timeout
        functools.update_wrapper(self, func)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> SyncAsyncFuture[T]:
        return call_with_options(  # type: ignore[no-any-return]  # future of T
            self.func,
            args,
            kwargs,
            retry_policy=self.retry_policy,
            cache_policy=self.cache_policy,
            timeout=self.timeout,
        )

    def clear_cache(self, cache: Any) -> None:
        """Drop the cached results of this task from ``cache``."""
        if self.cache_policy is not None:
            cache.clear(((CACHE_NS_WRITES, identifier(self.func) or "__dynamic__"),))

    async def aclear_cache(self, cache: Any) -> None:
        """Async version of ``clear_cache``."""
        if self.cache_policy is not None:
            await cache.aclear(
                ((CACHE_NS_WRITES, identifier(self.func) or "__dynamic__"),)
            )


def _renamed(func: Any, name: str) -> Any:
    if hasattr(func, "__func__"):
        # A bound method: rename a partial, not the function shared by the class.
        method = functools.partial(func.__func__, func.__self__)
        method.__name__ = name  # type: ignore[attr-defined]  # partials take attrs
        return method
    func.__name__ = name
    return func


@overload
def task(
    __func_or_none__: None = None,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: CachePolicy | None = None,
    timeout: Any = None,
    **kwargs: Any,
) -> Callable[[Callable[P, Awaitable[T]] | Callable[P, T]], _TaskFunction[P, T]]: ...


@overload
def task(__func_or_none__: Callable[P, Awaitable[T]]) -> _TaskFunction[P, T]: ...


@overload
def task(__func_or_none__: Callable[P, T]) -> _TaskFunction[P, T]: ...


def task(
    __func_or_none__: Any = None,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: CachePolicy | None = None,
    timeout: Any = None,
    **kwargs: Any,
) -> Any:
    """Make a function a task: its calls run as tasks of the running graph.

    A task can be called only inside an ``@entrypoint`` or a graph node.
    Calling it returns a future (``.result()`` in sync code, ``await`` in
    async code), so several calls run in parallel. With a checkpointer, a
    task's result is saved, and a workflow resumed after an interrupt gets it
    back without running the task again.

    Args:
        name: Name of the task (default: the function's name).
        retry_policy: Retry policy (or policies) for failed attempts.
        cache_policy: Cache the task's results, keyed by its arguments.
        timeout: Per-attempt timeout (seconds, ``timedelta`` or
            ``TimeoutPolicy``); async functions only.
        **kwargs: ``retry`` (deprecated name of ``retry_policy``).

    Returns:
        The task function, or a decorator when called with options only.

    Raises:
        ValueError: ``timeout`` given for a sync function.

    Example:
        >>> @task
        ... def double(x: int) -> int:
        ...     return 2 * x
    """
    policies = _retry_policies(retry_policy, kwargs)
    timeout_policy = TimeoutPolicy.coerce(timeout)

    def decorator(func: Any) -> _TaskFunction[Any, Any]:
        if timeout_policy is not None and not _is_async_callable(func):
            raise sync_timeout_unsupported(name or task_name(func), kind="Task")
        return _TaskFunction(
            func,
            retry_policy=policies,
            cache_policy=cache_policy,
            timeout=timeout_policy,
            name=name,
        )

    if __func_or_none__ is not None:
        return decorator(__func_or_none__)
    return decorator


def _retry_policies(
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None, kwargs: dict[str, Any]
) -> Sequence[RetryPolicy]:
    """``task``'s retry policies as a sequence, from the deprecated ``retry=`` too."""
    if (retry := kwargs.get("retry", _MISSING)) is not _MISSING:
        warnings.warn(
            "`retry` is deprecated and will be removed. Please use `retry_policy` "
            "instead.",
            category=LangGraphDeprecatedSinceV05,
            # Past this helper and ``task``.
            stacklevel=3,
        )
        if retry_policy is None:
            retry_policy = retry
    if retry_policy is None:
        return ()
    if isinstance(retry_policy, RetryPolicy):
        return (retry_policy,)
    return retry_policy
