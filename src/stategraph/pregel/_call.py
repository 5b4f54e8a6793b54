"""Normalising user callables into the engine's uniform ``call(input, task)``.

Runs once per node at compile time: sync/async detection and parameter
injection are decided here, never on the hot path.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from stategraph._constants import CONF, CONFIG_KEY_RUNTIME

_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_CONFIG_NAMES = frozenset(
    {"RunnableConfig", "Optional[RunnableConfig]", "RunnableConfig | None"}
)
_EMPTY = inspect.Parameter.empty


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation.replace("typing.", "")
    name = getattr(annotation, "__name__", None)
    if name is not None:
        return str(name)
    text = repr(annotation).replace("typing.", "")
    return text.split(".")[-1] if "[" not in text else text


def injected_params(func: Callable[..., Any]) -> dict[str, Any]:
    """Parameters the engine fills in: name -> (kind, default)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}
    found: dict[str, Any] = {}
    for name, kind, default in _injectables(params):
        found[name] = (kind, default)
    return found


def _injectables(params: Any) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    p = params.get("config")
    if p is not None and p.kind in _KINDS:
        if p.annotation is _EMPTY or _is_config_type(p.annotation):
            out.append(("config", "config", _EMPTY))
        else:
            warnings.warn(
                "The 'config' parameter should be typed as 'RunnableConfig' or "
                f"'RunnableConfig | None', not '{p.annotation}'. ",
                UserWarning,
                stacklevel=6,
            )
    p = params.get("writer")
    if p is not None and p.kind in _KINDS and _is_writer_type(p.annotation):
        out.append(("writer", "stream_writer", lambda _: None))
    p = params.get("store")
    if p is not None and p.kind in _KINDS:
        text = _type_name(p.annotation)
        if p.annotation is _EMPTY or text == "BaseStore":
            out.append(("store", "store", _EMPTY))
        elif "BaseStore" in text and ("Optional" in text or "None" in text):
            out.append(("store", "store", None))
    for name in ("previous", "runtime"):
        p = params.get(name)
        if p is not None and p.kind in _KINDS:
            out.append((name, name, _EMPTY))
    return out


def _is_config_type(annotation: Any) -> bool:
    text = _type_name(annotation)
    return (
        text in _CONFIG_NAMES
        or text.endswith("RunnableConfig")
        or ("RunnableConfig" in text and ("Optional" in text or "None" in text))
    )


def _is_writer_type(annotation: Any) -> bool:
    if annotation is _EMPTY:
        return True
    if _type_name(annotation) == "StreamWriter":
        return True
    from stategraph._types import StreamWriter

    return bool(annotation == StreamWriter)


def _inject(task: Any, spec: dict[str, Any], name: str) -> Any:
    kind, default = spec[name]
    if kind == "config":
        return task.config
    runtime = task.config[CONF].get(CONFIG_KEY_RUNTIME)
    if runtime is not None:
        if kind == "runtime":
            return runtime
        value = getattr(runtime, kind, None)
        if value is not None or default is _EMPTY:
            if value is None and default is _EMPTY and kind == "store":
                raise ValueError(f"Missing required config key '{kind}' for '{name}'.")
            return value
    if default is _EMPTY:
        raise ValueError(f"Missing required config key '{kind}' for '{name}'.")
    return default


def _is_async_callable(func: Any) -> bool:
    return inspect.iscoroutinefunction(func) or (
        hasattr(func, "__call__")  # noqa: B004
        and inspect.iscoroutinefunction(func.__call__)
    )


def make_calls(func: Any, name: str) -> tuple[Any, Any]:
    """Return ``(call, acall)`` for a node; either may be ``None``."""
    if func is None:
        return (lambda value, task: value), None
    if _is_graph(func):
        return _graph_calls(func)
    if hasattr(func, "invoke") and hasattr(func, "ainvoke") and not callable(func):
        return (
            lambda value, task: func.invoke(value, task.config),
            lambda value, task: func.ainvoke(value, task.config),
        )
    if hasattr(func, "invoke") and hasattr(func, "ainvoke"):
        return (
            lambda value, task: func.invoke(value, task.config),
            lambda value, task: func.ainvoke(value, task.config),
        )
    spec = injected_params(func)
    if _is_async_callable(func):
        return _no_sync(name), _bind(func, spec)
    return _bind(func, spec), None


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
