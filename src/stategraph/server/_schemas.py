"""Bodies of ``/assistants/{id}/schemas`` and ``/subgraphs``, as langgraph-api sends.

Each schema is computed on its own; one that cannot be built is logged and
sent as ``null`` so the others still reach Studio. The state schema lists the
graph's streamed channels, all optional; the config schema is the
``configurable`` part only (the context schema, without the keys the server
itself puts there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stategraph.errors import GraphBubbleUp

logger = logging.getLogger(__name__)

# Keys of ``configurable`` the server sets itself; Studio must not offer them.
_SERVER_CONFIGURABLE = (
    "__pregel_checkpointer",
    "__pregel_store",
    "checkpoint_id",
    "checkpoint_ns",
    "thread_id",
)


def _guarded(what: str, graph: Any, build: Callable[[], Any]) -> Any:
    try:
        return build()
    except GraphBubbleUp:  # never raised by schema code; kept by rule
        raise
    except Exception as exc:  # a type pydantic cannot describe, say
        logger.warning(
            "Failed to get %s schema for graph %s with error: `%s`",
            what,
            getattr(graph, "name", graph),
            exc,
        )
        return None


def state_jsonschema(graph: Any) -> dict[str, Any]:
    """The JSON schema of a graph's streamed channels, each optional.

    Args:
        graph: A compiled graph.

    Returns:
        The schema of a model named ``<graph name>State`` (LangChain's naming,
        so ``agent_state`` for a graph named ``agent``).
    """
    from stategraph.graph._jsonschema_messages import update_type
    from stategraph.pregel._schemas import fields_model, root_model

    fields: dict[str, Any] = {}
    for key in graph.stream_channels_list:
        hint = update_type(graph.channels[key])
        try:
            root_model(key, hint).model_json_schema()
        except GraphBubbleUp:  # never raised by schema code; kept by rule
            raise
        except Exception:  # a type without a JSON schema is described as Any
            hint = Any
        fields[key] = hint
    model = fields_model(graph.get_name("State"), fields)
    return model.model_json_schema()  # type: ignore[no-any-return]


def configurable_jsonschema(graph: Any) -> dict[str, Any]:
    """The schema of ``configurable``: the context schema minus server keys.

    Args:
        graph: A compiled graph.

    Returns:
        ``{}`` for a graph without a context schema.
    """
    context = getattr(graph, "context_schema", None)
    if context is None:
        return {}
    import pydantic

    schema: dict[str, Any] = pydantic.TypeAdapter(context).json_schema()
    if schema:
        # Only properties go: langgraph-api leaves ``required`` as it is.
        for key in _SERVER_CONFIGURABLE:
            schema["properties"].pop(key, None)
    return schema


def graph_schemas(graph: Any) -> dict[str, Any]:
    """Input, output, state, config and context schemas of a graph.

    Args:
        graph: A compiled graph (already named after its graph id if it had
            the default name).

    Returns:
        The five schemas by key; each is ``None`` when it cannot be built.
    """
    return {
        "input_schema": _guarded("input", graph, graph.get_input_jsonschema),
        "output_schema": _guarded("output", graph, graph.get_output_jsonschema),
        "state_schema": _guarded("state", graph, lambda: state_jsonschema(graph)),
        "config_schema": _guarded(
            "config", graph, lambda: configurable_jsonschema(graph)
        ),
        "context_schema": _guarded("context", graph, graph.get_context_jsonschema),
    }


def named(graph: Any, graph_id: str) -> Any:
    """The served graph, named after its graph id unless it chose a name."""
    if getattr(graph, "name", None) == "LangGraph" and hasattr(graph, "copy"):
        return graph.copy({"name": graph_id})
    return graph


def drawable_json(drawable: Any) -> dict[str, Any]:
    """A drawable graph's JSON without node ``data.id`` (as langgraph-api sends)."""
    data: dict[str, Any] = drawable.to_json()
    for node in data.get("nodes", []):
        if isinstance(node_data := node.get("data"), dict):
            node_data.pop("id", None)
    return data
