"""``RunnableCallable``: a langchain ``Runnable`` around a sync and an async function.

Prebuilt nodes (``ToolNode``, the agent's model node) are langchain runnables, as in
LangGraph, so users can ``invoke`` them outside a graph and compose them. This module
injects ``config``, ``runtime``, ``store`` and ``writer`` parameters the way graph
nodes receive them; it must not import the engine.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import (
    ensure_config,
    patch_config,
    set_config_context,
)

from stategraph._constants import CONFIG_KEY_RUNTIME
from stategraph.config import get_config
from stategraph.graph._node_data import present_as
from stategraph.prebuilt._callbacks import async_callback_manager, callback_manager

_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_EMPTY = inspect.Parameter.empty
_MISSING: Any = object()
_MODULE_PATH = re.compile(r"\b[A-Za-z_][\w]*\.")
_CONFIG_TYPES = {"RunnableConfig", "Optional[RunnableConfig]", "RunnableConfig | None"}
_STORE_TYPES = {"BaseStore"}
_OPTIONAL_STORE_TYPES = {"Optional[BaseStore]", "BaseStore | None"}


def _type_text(annotation: Any) -> str:
    """An annotation as its unqualified text (``Optional[RunnableConfig]``)."""
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__name__
    return _MODULE_PATH.sub("", repr(annotation))


def _injection(name: str, annotation: Any) -> tuple[str, Any] | None:
    """``(runtime attribute, default)`` for an injectable parameter, else ``None``.

    The annotation rules are LangGraph's: ``config`` and ``store`` must be typed
    as such (or untyped), ``writer`` as ``StreamWriter``; ``runtime`` and
    ``previous`` are always injected. "N/A" is the key LangGraph names in its
    missing-value error.
    """
    text = "" if annotation is _EMPTY else _type_text(annotation)
    if name == "config":
        if not text or text in _CONFIG_TYPES:
            return ("N/A", _EMPTY)
        warnings.warn(
            "The 'config' parameter should be typed as 'RunnableConfig' or "
            f"'RunnableConfig | None', not '{annotation}'. ",
            UserWarning,
            stacklevel=5,
        )
        return None
    if name == "runtime":
        return ("N/A", _EMPTY)
    if name == "previous":
        return ("previous", _EMPTY)
    if name == "writer" and (not text or text == "StreamWriter"):
        return ("stream_writer", lambda _: None)
    if name == "store" and (not text or text in _STORE_TYPES):
        return ("store", _EMPTY)
    if name == "store" and text in _OPTIONAL_STORE_TYPES:
        return ("store", None)
    return None


def _accepted(func: Callable[..., Any]) -> dict[str, tuple[str, Any]]:
    """The injectable parameters ``func`` declares."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}
    found: dict[str, tuple[str, Any]] = {}
    for name in ("config", "writer", "store", "previous", "runtime"):
        param = params.get(name)
        if param is not None and param.kind in _KINDS:
            injection = _injection(name, param.annotation)
            if injection is not None:
                found[name] = injection
    return found


class RunnableCallable(Runnable[Any, Any]):
    """A runnable made of a sync function and an optional async one.

    Args:
        func: Called by ``invoke``; ``None`` when only the async API works.
        afunc: Called by ``ainvoke``; ``invoke`` is used when it is ``None``.
        name: Name of the runnable (default: the function's name).
        tags: Tags of the node that runs it.
        trace: Report each call to langchain callbacks as a chain run (named
            by the config's ``run_name`` or this runnable's name), as LangGraph's
            does; its tool node and validation node do not.
        recurse: Invoke a runnable the function returns with the same input.
        **kwargs: Keyword arguments passed to every call.
    """

    # LangGraph's class path, which drawings serialise (see graph._node_data).
    _graph_node_id: tuple[str, ...] = (
        "langgraph",
        "_internal",
        "_runnable",
        "RunnableCallable",
    )

    def __init__(
        self,
        func: Callable[..., Any] | None,
        afunc: Callable[..., Awaitable[Any]] | None = None,
        *,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        trace: bool = True,
        recurse: bool = True,
        **kwargs: Any,
    ) -> None:
        if func is None and afunc is None:
            raise ValueError("At least one of func or afunc must be provided.")
        self.func = func
        self.afunc = afunc
        self.name = name or _name_of(func, afunc)
        self.tags = tags
        self.trace = trace
        self.recurse = recurse
        self.kwargs = kwargs
        self.func_accepts = _accepted(func or afunc)  # type: ignore[arg-type]  # one is set
        present_as(self, self._graph_node_id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def _kwargs(self, config: RunnableConfig, given: dict[str, Any]) -> dict[str, Any]:
        kwargs = {**self.kwargs, **given}
        runtime = config.get("configurable", {}).get(CONFIG_KEY_RUNTIME)
        for name, (key, default) in self.func_accepts.items():
            if name in kwargs:
                continue
            value: Any = _MISSING
            if name == "config":
                value = config
            elif runtime is not None:
                value = (
                    runtime if name == "runtime" else getattr(runtime, key, _MISSING)
                )
            if value is _MISSING:
                if default is _EMPTY:
                    raise ValueError(
                        f"Missing required config key '{key}' for '{self.name}'."
                    )
                value = default
            kwargs[name] = value
        return kwargs

    def invoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Any:
        """Call the sync function with ``input`` and the injected parameters."""
        if self.func is None:
            raise TypeError(
                f'No synchronous function provided to "{self.name}".'
                "\nEither initialize with a synchronous function or invoke"
                " via the async API (ainvoke, astream, etc.)"
            )
        config = _config_or_current(config)
        call_kwargs = self._kwargs(config, kwargs)
        if self.trace:
            result = self._traced(self.func, input, config, call_kwargs)
        else:
            result = self.func(input, **call_kwargs)
        if self.recurse and isinstance(result, Runnable):
            return result.invoke(input, config)
        return result

    def _traced(
        self,
        func: Callable[..., Any],
        input: Any,
        config: RunnableConfig,
        kwargs: dict[str, Any],
    ) -> Any:
        """Run ``func`` as a langchain chain run, in its child config's context."""
        manager = callback_manager(config, self.tags)
        run = manager.on_chain_start(
            None,
            input,
            name=config.get("run_name") or self.get_name(),
            run_id=config.pop("run_id", None),
        )
        try:
            child = patch_config(config, callbacks=run.get_child())
            with set_config_context(child) as context:
                result = context.run(func, input, **kwargs)
        except BaseException as e:
            run.on_chain_error(e)
            raise
        run.on_chain_end(result)
        return result

    async def _atraced(
        self,
        afunc: Callable[..., Awaitable[Any]],
        input: Any,
        config: RunnableConfig,
        kwargs: dict[str, Any],
    ) -> Any:
        """``_traced`` for a coroutine function, run as a task in the context."""
        manager = async_callback_manager(config, self.tags)
        run = await manager.on_chain_start(
            None,
            input,
            name=config.get("run_name") or self.get_name(),
            run_id=config.pop("run_id", None),
        )
        try:
            child = patch_config(config, callbacks=run.get_child())
            with set_config_context(child) as context:
                result: Any = await asyncio.create_task(
                    _awaited(afunc(input, **kwargs)), context=context
                )
        except BaseException as e:
            await run.on_chain_error(e)
            raise
        await run.on_chain_end(result)
        return result

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Any:
        """Await the async function (or call the sync one when there is none)."""
        if self.afunc is None:
            return self.invoke(input, config, **kwargs)
        config = _config_or_current(config)
        call_kwargs = self._kwargs(config, kwargs)
        if self.trace:
            result = await self._atraced(self.afunc, input, config, call_kwargs)
        else:
            result = await self.afunc(input, **call_kwargs)
        if self.recurse and isinstance(result, Runnable):
            return await result.ainvoke(input, config)
        return result


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _config_or_current(config: RunnableConfig | None) -> RunnableConfig:
    """``config`` as given, else the running task's, else langchain's default."""
    if config is not None:
        return config
    try:
        current: RunnableConfig = cast(RunnableConfig, get_config())
    except RuntimeError:
        return ensure_config()
    return current


def _name_of(*funcs: Any) -> str | None:
    for func in funcs:
        name = getattr(func, "__name__", None)
        if func is not None and name != "<lambda>":
            return name if isinstance(name, str) else None
    return None
