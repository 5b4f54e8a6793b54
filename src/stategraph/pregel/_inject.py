"""Which parameters of a node function the engine fills in, and with what.

Decided once per node when the graph compiles (``injected_params``); at run
time ``_inject`` hands each named parameter its value from the task: the
config, the runtime's stream writer, store, previous value or runtime, or the
error an error handler is running for.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from stategraph._constants import CONF, CONFIG_KEY_NODE_ERROR, CONFIG_KEY_RUNTIME

__all__ = ["injected_params", "warn_config_annotation"]

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


def warn_config_annotation(func: Any) -> None:
    """Warn (as LangGraph does when a node is added) about a mistyped ``config``.

    Such a parameter gets no config injected, which is rarely what was meant.
    """
    try:
        p = inspect.signature(func).parameters.get("config")
    except (TypeError, ValueError):
        return
    if p is None or p.kind not in _KINDS or p.annotation is _EMPTY:
        return
    if not _is_config_type(p.annotation):
        warnings.warn(
            "The 'config' parameter should be typed as 'RunnableConfig' or "
            f"'RunnableConfig | None', not '{p.annotation}'. ",
            UserWarning,
            stacklevel=3,
        )


def _injectables(params: Any) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    p = params.get("config")
    if (
        p is not None
        and p.kind in _KINDS
        and (p.annotation is _EMPTY or _is_config_type(p.annotation))
    ):
        out.append(("config", "config", _EMPTY))
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
    p = params.get("error")
    if p is not None and p.kind in _KINDS and _type_name(p.annotation) == "NodeError":
        # Error handlers get the failure; other nodes typed so get None.
        out.append(("error", "node_error", None))
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
    if kind == "node_error":
        return task.config[CONF].get(CONFIG_KEY_NODE_ERROR, default)
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
