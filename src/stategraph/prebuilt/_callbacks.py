"""The langchain callback manager a traced prebuilt runnable reports to.

Reuses the manager the running node passes down (adding the runnable's tags and
the config's metadata), or builds one from the config's handlers; never starts
runs itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.callbacks.manager import AsyncCallbackManager, CallbackManager
from langchain_core.runnables import RunnableConfig


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
    )
