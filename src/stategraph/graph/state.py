"""``StateGraph`` and ``CompiledStateGraph`` (LangGraph's ``graph.state`` path).

Also LangGraph's private helpers of this module, under their names there, for
ported code and tests.
"""

from stategraph.graph._builder import (
    StateGraph as StateGraph,
    node_name_of as _get_node_name,  # noqa: F401
)
from stategraph.graph._compiled import CompiledStateGraph as CompiledStateGraph
from stategraph.graph._schema import (  # noqa: F401
    _explicit_channel as _is_field_channel,
    channel_for as _get_channel,
    channels_of as _get_channels,
    warn_invalid_state_schema as _warn_invalid_state_schema,
)

__all__ = ("StateGraph", "CompiledStateGraph")
