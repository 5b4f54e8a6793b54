"""The run config: ``RunnableConfig`` and the helpers that merge and read it.

Owns the context variable that makes the current task's config visible to
``get_config()``; must not import the engine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any, TypedDict

from stategraph._constants import CONF


class _DefaultRecursionLimit(int):
    """The recursion limit filled in when a config gives none.

    A distinct type (not a distinct value) so a node's config can leave the
    default out, as LangGraph's does, while an explicit limit equal to it stays.
    """

    __slots__ = ()


DEFAULT_RECURSION_LIMIT = _DefaultRecursionLimit(
    os.getenv("LANGGRAPH_DEFAULT_RECURSION_LIMIT", "10007")
)


class RunnableConfig(TypedDict, total=False):
    """Configuration of a run, with the same keys as langchain's ``RunnableConfig``.

    Attributes:
        tags: Tags of the run and its tasks.
        metadata: Metadata copied into checkpoints and stream metadata.
        callbacks: Callback handlers (langchain interop).
        run_name: Name of the run.
        max_concurrency: Upper bound of tasks run at once.
        recursion_limit: Supersteps allowed before ``GraphRecursionError``.
        configurable: ``thread_id``, ``checkpoint_id``, ``checkpoint_ns`` and
            user values.
        run_id: Identifier of the run.
    """

    tags: list[str]
    metadata: dict[str, Any]
    callbacks: Any
    run_name: str
    max_concurrency: int | None
    recursion_limit: int
    configurable: dict[str, Any]
    run_id: Any


var_child_config: ContextVar[Any] = ContextVar("stategraph_child_config", default=None)
"""The running task (or a plain config); its ``.config`` is built on first use."""


def current_config() -> dict[str, Any] | None:
    """The config of the running task, or ``None`` outside a graph."""
    value = var_child_config.get()
    if value is None:
        return _langchain_ambient_config()
    if isinstance(value, dict):
        return value
    config = value.config
    assert isinstance(config, dict)
    return config


def _langchain_ambient_config() -> dict[str, Any] | None:
    """The config langchain-core's runnables set for their children, if any.

    A graph invoked from inside a langchain runnable (a tool, a chain step)
    inherits that runnable's config as LangGraph's does. langchain-core is
    consulted only when something already imported it, so plain graphs never
    pay for the import.
    """
    module = sys.modules.get("langchain_core.runnables.config")
    if module is None:
        return None
    config = module.var_child_runnable_config.get()
    return config if isinstance(config, dict) else None


_CONFIG_KEYS = frozenset(
    {
        "tags",
        "metadata",
        "callbacks",
        "run_name",
        "max_concurrency",
        "recursion_limit",
        "configurable",
        "run_id",
    }
)
_COPIED = frozenset({"tags", "metadata", "callbacks", "configurable"})
_COORDINATES = ("thread_id", "checkpoint_ns", "checkpoint_id", "checkpoint_map")
_TO_METADATA = (
    "thread_id",
    "checkpoint_id",
    "checkpoint_ns",
    "task_id",
    "run_id",
    "assistant_id",
    "graph_id",
)


def _present(value: Any) -> bool:
    if isinstance(value, (list, tuple, dict)):
        return len(value) > 0
    return value is not None


def _copy_value(value: Any) -> Any:
    # Mapping values are copied one level so a merged config never shares
    # (and lets callers mutate) a dict of its inputs.
    return dict(value) if isinstance(value, Mapping) else value


def _merge_metadata(base: Any, new: Any) -> dict[str, Any]:
    """Merge metadata, newer keys winning; ``lc_versions`` merges one level deeper.

    Independent langchain packages each add their version to ``lc_versions``.
    Inputs are never changed.
    """
    merged = {k: _copy_value(v) for k, v in (base or {}).items()}
    for key, value in (new or {}).items():
        old = merged.get(key)
        if (
            key == "lc_versions"
            and isinstance(old, Mapping)
            and isinstance(value, Mapping)
        ):
            merged[key] = {**old, **value}
        else:
            merged[key] = _copy_value(value)
    return merged


def _merge_callbacks(base: Any, new: Any) -> Any:
    """Merge two ``callbacks`` values (``None``, a handler list or a manager).

    Lists concatenate; a list merged with a manager is added to a copy of the
    manager as inheritable handlers; two managers merge. Inputs never change.

    Raises:
        TypeError: When a value is not ``None``, a list or a callback manager.
    """
    if new is None:
        return base
    if base is None:
        return new.copy() if hasattr(new, "copy") else new
    if isinstance(base, list) and isinstance(new, list):
        return [*base, *new]
    # A manager is involved, so langchain-core is already imported.
    from langchain_core.callbacks.base import BaseCallbackManager

    if isinstance(base, BaseCallbackManager) and isinstance(new, BaseCallbackManager):
        return base.merge(new)
    if isinstance(base, BaseCallbackManager) and isinstance(new, list):
        manager, handlers = base.copy(), new
    elif isinstance(base, list) and isinstance(new, BaseCallbackManager):
        manager, handlers = new.copy(), base
    else:
        raise TypeError(
            "callbacks must be None, a list of handlers or a callback manager; "
            f"got {type(base).__name__} and {type(new).__name__}"
        )
    for handler in handlers:
        manager.add_handler(handler, inherit=True)
    return manager


def ensure_config(*configs: Any) -> dict[str, Any]:
    """Merge ``configs`` over the defaults and over the running task's config.

    A config that names its own checkpoint coordinates (``thread_id``,
    ``checkpoint_ns``, ...) starts a fresh ``configurable``: a graph invoked
    inside a node with its own thread is a root graph, not a subgraph.
    Unknown top-level keys move into ``configurable``.
    """
    empty: dict[str, Any] = {
        "tags": [],
        "metadata": {},
        "callbacks": None,
        "recursion_limit": DEFAULT_RECURSION_LIMIT,
        CONF: {},
    }
    inherited: set[str] = set()
    parent = current_config()
    if parent is not None:
        for k, v in parent.items():
            if _present(v):
                empty[k] = v.copy() if k in _COPIED else v
        inherited.update(empty["tags"])
    if empty.get(CONF) and any(
        c and c.get(CONF) and any(_present(c[CONF].get(k)) for k in _COORDINATES)
        for c in configs
    ):
        empty[CONF] = {}
    for config in configs:
        if config:
            _merge_into(empty, config, inherited)
    conf, metadata = empty[CONF], empty["metadata"]
    for key in _TO_METADATA:
        if key not in metadata and (value := conf.get(key)):
            metadata[key] = value
    return empty


def _merge_into(target: dict[str, Any], config: Any, inherited: set[str]) -> None:
    for k, v in config.items():
        if not _present(v):
            continue
        if k not in _CONFIG_KEYS:
            target[CONF][k] = v
        elif k == CONF:
            target[CONF] = {**target[CONF], **v}
        elif k == "metadata":
            target["metadata"] = _merge_metadata(target["metadata"], v)
        elif k == "callbacks":
            target["callbacks"] = _merge_callbacks(target.get("callbacks"), v)
        elif k == "tags":
            target["tags"] = [*target["tags"], *(t for t in v if t not in inherited)]
        else:
            target[k] = v


def merge_configs(*configs: Any) -> dict[str, Any]:
    """Merge configs left to right; ``configurable``/``metadata`` merge, tags add up."""
    base: dict[str, Any] = {}
    for config in configs:
        if not config:
            continue
        for key, value in config.items():
            if key == CONF:
                base[key] = {**base.get(key, {}), **value}
            elif key == "metadata":
                base[key] = _merge_metadata(base.get(key), value)
            elif key == "callbacks":
                base[key] = _merge_callbacks(base.get(key), value)
            elif key == "tags":
                base["tags"] = sorted({*base.get("tags", []), *value})
            else:
                base[key] = value
    return base


def patch_configurable(config: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``config`` whose ``configurable`` has ``patch`` applied."""
    if config is None:
        return {CONF: patch}
    if CONF not in config:
        return {**config, CONF: patch}
    return {**config, CONF: {**config[CONF], **patch}}


def get_config() -> dict[str, Any]:
    """Return the config of the task that is running.

    Raises:
        RuntimeError: When called outside a running graph.
    """
    config = current_config()
    if config is None:
        raise RuntimeError("Called get_config outside of a runnable context")
    return config


def tags_of(config: dict[str, Any]) -> Sequence[str]:
    """Return the tags of ``config`` (empty when there are none)."""
    return config.get("tags") or ()
