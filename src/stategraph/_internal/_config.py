"""Config helpers under LangGraph's private ``langgraph._internal._config`` path.

The merge helpers are stategraph's own (``stategraph._config``). The callback
helpers need langchain-core, which is imported only when they are called, so
importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph._config import (
    _merge_callbacks as _merge_callbacks,
    _present,
    ensure_config as ensure_config,
    merge_configs as merge_configs,
    patch_configurable as patch_configurable,
)

if TYPE_CHECKING:
    from langchain_core.callbacks.manager import (
        AsyncCallbackManager,
        CallbackManager,
    )

__all__ = (
    "ensure_config",
    "get_async_callback_manager_for_config",
    "get_callback_manager_for_config",
    "merge_configs",
    "patch_configurable",
)


def _is_not_empty(value: Any) -> bool:
    """Whether a config value counts as set: not ``None`` and not an empty container."""
    return _present(value)


def get_callback_manager_for_config(
    config: Any, tags: Sequence[str] | None = None
) -> CallbackManager:
    """The sync langchain callback manager for a run under ``config``.

    Reuses the config's manager (adding ``tags`` and the config's metadata) or
    builds one from the config's handlers, tags and metadata.
    """
    from stategraph.prebuilt._callbacks import callback_manager

    return callback_manager(config, tags)


def get_async_callback_manager_for_config(
    config: Any, tags: Sequence[str] | None = None
) -> AsyncCallbackManager:
    """The async langchain callback manager for a run under ``config``."""
    from stategraph.prebuilt._callbacks import async_callback_manager

    return async_callback_manager(config, tags)
