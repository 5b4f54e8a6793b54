"""The langchain callback manager a traced prebuilt runnable reports to.

Reuses the manager the running node passes down (adding the runnable's tags and
the config's metadata), or builds one from the config's handlers; never starts
runs itself.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks.manager import AsyncCallbackManager, CallbackManager
from langchain_core.runnables import RunnableConfig

_SECRET_PARTS = ("key", "token", "secret", "password", "auth")


def _tracing_defaults(config: RunnableConfig) -> dict[str, Any] | None:
    """Plain ``configurable`` values a LangSmith tracer records as metadata.

    Private (``__``) keys, non-scalar values and anything named like a
    credential are left out.
    """
    found: dict[str, Any] = {}
    for key, value in (config.get("configurable") or {}).items():
        lowered = key.casefold()
        if (
            key.startswith("__")
            or not isinstance(value, (str, int, float, bool))
            or any(part in lowered for part in _SECRET_PARTS)
        ):
            continue
        found[key] = value
    return found or None


@functools.cache
def _takes_tracing_metadata() -> bool:
    # langchain-core added this parameter during 1.x; older releases lack it.
    params = inspect.signature(CallbackManager.configure).parameters
    return "langsmith_inheritable_metadata" in params


def _configure_kwargs(config: RunnableConfig) -> dict[str, Any]:
    if not _takes_tracing_metadata():
        return {}
    return {"langsmith_inheritable_metadata": _tracing_defaults(config)}


def _tags(config: RunnableConfig, tags: Sequence[str] | None) -> list[str] | None:
    inherited = config.get("tags")
    if tags is None:
        return inherited
    return [*(inherited or ()), *tags]


def callback_manager(
    config: RunnableConfig, tags: Sequence[str] | None = None
) -> CallbackManager:
    """The sync manager for a run under ``config``, with ``tags`` added."""
    all_tags = _tags(config, tags)
    callbacks = config.get("callbacks")
    if callbacks and isinstance(callbacks, CallbackManager):
        if all_tags:
            callbacks.add_tags(all_tags)
        if metadata := config.get("metadata"):
            callbacks.add_metadata(metadata)
        return callbacks
    return CallbackManager.configure(
        inheritable_callbacks=callbacks,
        inheritable_tags=all_tags,
        inheritable_metadata=config.get("metadata"),
        **_configure_kwargs(config),
    )


def async_callback_manager(
    config: RunnableConfig, tags: Sequence[str] | None = None
) -> AsyncCallbackManager:
    """The async manager for a run under ``config``, with ``tags`` added."""
    all_tags = _tags(config, tags)
    callbacks = config.get("callbacks")
    if callbacks and isinstance(callbacks, AsyncCallbackManager):
        if all_tags:
            callbacks.add_tags(all_tags)
        if metadata := config.get("metadata"):
            callbacks.add_metadata(metadata)
        return callbacks
    return AsyncCallbackManager.configure(
        inheritable_callbacks=callbacks,
        inheritable_tags=all_tags,
        inheritable_metadata=config.get("metadata"),
        **_configure_kwargs(config),
    )
