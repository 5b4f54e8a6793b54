"""Normalising user callables into the engine's uniform ``call(input, task)``.

Runs once per node at compile time: sync/async detection and parameter
injection are decided here, never on the hot path.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import weakref
from collections.abc import Callable
from typing import Any

from stategraph._constants import (
    CONF,
    CONFIG_KEY_CALL,
    PUSH,
    RETURN,
)
from stategraph._engine._node import AwaitOutput, PregelNode, _identifier
from stategraph._engine._spawn import CallFuture
from stategraph.pregel._inject import (
    _inject,
    injected_params,
    warn_config_annotation as warn_config_annotation,
)
from stategraph.pregel.protocol import PregelProtocol

SyncAsyncFuture = CallFuture
"""What calling a task returns (LangGraph's name)."""


def _is_async_callable(func: Any) -> bool:
    return inspect.iscoroutinefunction(func) or (
        hasattr(func, "__call__")  # noqa: B004
        and inspect.iscoroutinefunction(func.__call__)
    )


def make_calls(func: Any, name: str, *, recurse: bool = True) -> tuple[Any, Any]:
    """Return ``(call, acall)`` for a node; either may be ``None``.

    With ``recurse``, a runnable a plain function returns is run on the same
    input, as LangGraph's nodes and branch paths do (not its entrypoints).
    """
    if func is None:
        return (lambda value, task: value), None
    if isinstance(func, dict):
        func = _runnable_map(func, name)
    if _is_graph(func):
        return _graph_calls(func)
    # Runnable-like objects are told by their class: a Mock answers to any
    # attribute name but is a plain callable.
    kind = type(func)
    if hasattr(kind, "invoke") and hasattr(kind, "ainvoke"):
        return (
            lambda value, task: func.invoke(value, task.config),
            lambda value, task: func.ainvoke(value, task.config),
        )
    spec = injected_params(func)
    if _is_async_callable(func):
        acall = _bind(func, spec)
        return _no_sync(name), (_arecursing(acall) if recurse else acall)
    call = _bind(func, spec)
    return (_recursing(call) if recurse else call), None


def _is_runnable(value: Any) -> bool:
    """Whether a function returned a runnable: a LangChain one or a graph."""
    if type(value) is dict or value is None:
        return False  # what nodes return nearly always: no ABC check
    base = sys.modules.get("langchain_core.runnables.base")
    if base is not None:  # our graphs are registered as its subclasses
        return isinstance(value, base.Runnable)
    return isinstance(value, PregelProtocol)


def _recursing(call: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def run(value: Any, task: Any) -> Any:
        out = call(value, task)
        if not _is_runnable(out):
            return out
        aio = getattr(getattr(task, "loop", None), "aio", None)
        if aio is None:
            return out.invoke(value, task.config)
        return in_async_run(aio, out.ainvoke(value, task.config))

    return run


def per_run(
    call: Callable[[Any, Any], Any], acall: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    """One call that uses ``acall`` in async runs and ``call`` in sync ones.

    For runnables on paths only sync code can call (a conditional edge's
    path): LangGraph ``ainvoke``s them in async runs.
    """

    def run(value: Any, task: Any) -> Any:
        aio = getattr(getattr(task, "loop", None), "aio", None)
        if aio is None:
            return call(value, task)
        return in_async_run(aio, acall(value, task))

    return run


def in_async_run(aio: asyncio.AbstractEventLoop, awaitable: Any) -> Any:
    """The result of ``awaitable``, met by sync code in an async run on ``aio``.

    On the event loop's thread nothing can wait: an ``AwaitOutput`` goes back
    for the runner (or branch writer) to await. On a worker thread, the
    awaitable runs on the event loop (in this thread's context, as
    ``run_coroutine_threadsafe`` copies it) while the thread waits.
    """
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is aio:
        return AwaitOutput(awaitable)
    return asyncio.run_coroutine_threadsafe(_awaited(awaitable), aio).result()


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _arecursing(acall: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    async def run(value: Any, task: Any) -> Any:
        out = await acall(value, task)
        return await out.ainvoke(value, task.config) if _is_runnable(out) else out

    return run


def _runnable_map(mapping: dict[str, Any], name: str) -> Any:
    """A dict of runnables as a node: each runs on the input (LangChain's map)."""
    try:
        from langchain_core.runnables import RunnableParallel
    except ImportError:
        raise TypeError(
            f"Node '{name}' is a dict; a dict of runnables needs langchain-core "
            "(pip install 'stategraph[langchain]'), or pass a function instead."
        ) from None
    return RunnableParallel(mapping)


def _is_graph(obj: Any) -> bool:
    from stategraph.pregel._pregel import Pregel

    return isinstance(obj, Pregel)


def _graph_calls(graph: Any) -> tuple[Any, Any]:
    def call(value: Any, task: Any) -> Any:
        return graph.invoke(value, task.config)

    def acall(value: Any, task: Any) -> Any:
        return graph.ainvoke(value, task.config)

    return call, acall


def _no_sync(name: str) -> Callable[[Any, Any], Any]:
    def call(value: Any, task: Any) -> Any:
        raise TypeError(
            f'No synchronous function provided to "{name}".'
            "\nEither initialize with a synchronous function or invoke"
            " via the async API (ainvoke, astream, etc.)"
        )

    return call


def _bind(func: Any, spec: dict[str, Any]) -> Callable[[Any, Any], Any]:
    if not spec:
        return lambda value, task: func(value)
    names = tuple(spec)
    if names == ("config",):
        return lambda value, task: func(value, config=task.config)

    def call(value: Any, task: Any) -> Any:
        return func(value, **{n: _inject(task, spec, n) for n in names})

    return call


# -- task calls (functional API) ---------------------------------------------

_CALL_NODES: weakref.WeakKeyDictionary[Any, dict[Any, PregelNode]] = (
    weakref.WeakKeyDictionary()
)


def task_name(func: Any) -> str:
    """The name a called task runs under: the function's name."""
    name = getattr(func, "__name__", None)
    if name is None and hasattr(func, "func"):
        name = getattr(func.func, "__name__", None)
    if name is None:
        name = type(func).__name__
    return str(name)


def call_node(call: Any) -> PregelNode:
    """The node that runs a task call; one per function and options.

    Nodes are kept per function so what the engine learns about them (a sync
    task that blocks runs in a worker thread) carries over between calls.
    """
    func = call.func
    options = (
        tuple(call.retry_policy) if call.retry_policy else None,
        call.cache_policy,
        call.timeout,
    )
    try:
        hash(options)
        per_func = _CALL_NODES.setdefault(func, {})
    except TypeError:  # not weak-referenceable or not hashable: build afresh
        return _build_call_node(func, call)
    node = per_func.get(options)
    if node is None:
        node = per_func[options] = _build_call_node(func, call)
    return node


def _build_call_node(func: Any, call: Any) -> PregelNode:
    name = task_name(func)
    spec = injected_params(func)
    names = tuple(spec)

    def kwargs_for(task: Any, given: dict[str, Any]) -> dict[str, Any]:
        if not names:
            return given
        extra = {n: _inject(task, spec, n) for n in names if n not in given}
        return {**given, **extra}

    if _is_async_callable(func):

        async def acall(value: Any, task: Any) -> Any:
            args, kwargs = value
            return await func(*args, **kwargs_for(task, kwargs))

        sync, asynchronous = _no_sync(name), acall
    else:

        def sync(value: Any, task: Any) -> Any:
            args, kwargs = value
            return func(*args, **kwargs_for(task, kwargs))

        asynchronous = None
    return PregelNode(
        name=name,
        triggers=(PUSH,),
        channels=[],
        call=sync,
        acall=asynchronous,
        writers=[_write_return],
        bound=func,
        retry_policy=call.retry_policy or None,
        cache_policy=call.cache_policy,
        timeout=call.timeout,
    )


def _write_return(task: Any, output: Any) -> None:
    task.writes.append((RETURN, output))


def identifier(obj: Any) -> str | None:
    """``module.qualname`` of a function: the cache namespace of its task calls."""
    return _identifier(obj)


def call(
    func: Callable[..., Any],
    *args: Any,
    retry_policy: Any = None,
    cache_policy: Any = None,
    timeout: Any = None,
    **kwargs: Any,
) -> SyncAsyncFuture[Any]:
    """Run ``func`` as a task of the running graph; return its future.

    Raises:
        RuntimeError: Outside a running graph.
        ValueError: ``timeout`` given for a sync function.
    """
    from stategraph._policies import TimeoutPolicy

    future: SyncAsyncFuture[Any] = call_with_options(
        func,
        args,
        kwargs,
        retry_policy=retry_policy,
        cache_policy=cache_policy,
        timeout=TimeoutPolicy.coerce(timeout),
    )
    return future


def call_with_options(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    retry_policy: Any = None,
    cache_policy: Any = None,
    timeout: Any = None,
) -> Any:
    """Hand a task call to the running graph (``CONFIG_KEY_CALL``)."""
    from stategraph._config import get_config
    from stategraph._policies import sync_timeout_unsupported

    if timeout is not None and not _is_async_callable(func):
        raise sync_timeout_unsupported(task_name(func), kind="Task")
    config = get_config()
    impl = config[CONF].get(CONFIG_KEY_CALL)
    if impl is None:
        raise RuntimeError(
            "Tasks can only be called from inside a running graph node or "
            "entrypoint; this config has no task runner."
        )
    return impl(
        func,
        (args, kwargs),
        retry_policy=retry_policy,
        cache_policy=cache_policy,
        callbacks=config.get("callbacks"),
        timeout=timeout,
    )
