"""The LangGraph Server API, served by stategraph (needs ``stategraph[server]``).

``create_app`` builds the Starlette app; ``stategraph dev`` runs it.
"""

from stategraph.server._config import (
    ServerConfig as ServerConfig,
    load_config as load_config,
)
from stategraph.server._registry import system_assistant_id as system_assistant_id
from stategraph.server.app import create_app as create_app

__all__ = ("ServerConfig", "create_app", "load_config", "system_assistant_id")
