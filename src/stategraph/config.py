"""Access to the running task's config, store and stream writer."""

from typing import TYPE_CHECKING, Any

from stategraph._config import (
    RunnableConfig as RunnableConfig,
    get_config as get_config,
)
from stategraph._constants import CONF, CONFIG_KEY_RUNTIME

if TYPE_CHECKING:
    from stategraph.store.base import BaseStore as BaseStore


def get_store() -> Any:
    """Return the store of the running graph (``None`` when it has none)."""
    return get_config()[CONF][CONFIG_KEY_RUNTIME].store


def get_stream_writer() -> Any:
    """Return the ``custom`` stream writer of the running task (a no-op when off)."""
    runtime = get_config()[CONF].get(CONFIG_KEY_RUNTIME)
    if runtime is None:
        return lambda _: None
    return runtime.stream_writer


def __getattr__(name: str) -> Any:
    # LangGraph's module re-exports ``BaseStore``; it loads on first access so
    # that importing the config helpers stays cheap.
    if name == "BaseStore":
        from stategraph.store.base import BaseStore

        return BaseStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ("get_config", "get_store", "get_stream_writer", "RunnableConfig")
