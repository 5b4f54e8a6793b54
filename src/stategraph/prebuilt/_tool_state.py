"""The graph state a tool call sees, for each form of ``ToolNode`` input.

Reads the running task's state through the engine's config hook when the node
was sent bare tool calls; never writes.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from stategraph._constants import CONFIG_KEY_READ_STATE


def extract_state(input: Any, config: RunnableConfig) -> Any:
    """The state a tool call made from ``input`` runs against.

    A ``ToolCallWithContext`` carries its state; a list of tool calls (sent with
    ``Send``) carries none, so the state is read as the node would get it from an
    edge (``{}`` outside a graph); any other input is the state itself.
    """
    if isinstance(input, dict) and input.get("__type") == "tool_call_with_context":
        return input["state"]
    if (
        isinstance(input, list)
        and input
        and isinstance(input[-1], dict)
        and input[-1].get("type") == "tool_call"
    ):
        read_state = config.get("configurable", {}).get(CONFIG_KEY_READ_STATE)
        return {} if read_state is None else read_state()
    return input
