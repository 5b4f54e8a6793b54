"""Config helpers at LangGraph's legacy ``langgraph.utils.config`` path."""

from stategraph._config import (
    ensure_config as ensure_config,
    patch_configurable as patch_configurable,
)
from stategraph.config import get_config as get_config, get_store as get_store

__all__ = ("ensure_config", "patch_configurable", "get_config", "get_store")
