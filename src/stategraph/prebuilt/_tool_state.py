"""The graph state a tool call sees, for each form of ``ToolNode`` input.

Reads the running task's state through the engine's config hook when the node
was sent bare tool calls; never writes.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from stategraph._constants import CONFIG_KEY_READ, CONFIG_KEY_READ_STATE


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
        conf = config.get("configurable", {})
        if (read_state := conf.get(CONFIG_KEY_READ_STATE)) is not None:
            return read_state()
        return _read_channels(conf.get(CONFIG_KEY_READ))
    return input


def _read_channels(read: Any) -> Any:
    """All channels through a LangGraph-style ``partial(local_read, ...)`` reader.

    Only for configs made by hand the way LangGraph's engine makes them (its
    reader's second bound argument is the channel map); our engine always sets
    the state reader above.
    """
    args = getattr(read, "args", None)
    if read is None or not args or len(args) < 2:
        return {}
    return read(list(args[1]), True)
