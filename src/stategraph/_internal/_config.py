"""Config helpers under LangGraph's private ``langgraph._internal._config`` path.

Only the helpers stategraph has (with LangGraph's behaviour) are here; the
langchain callback-manager helpers are not.
"""

from stategraph._config import (
    ensure_config as ensure_config,
    merge_configs as merge_configs,
    patch_configurable as patch_configurable,
)

__all__ = ("ensure_config", "merge_configs", "patch_configurable")
