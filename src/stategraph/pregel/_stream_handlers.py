"""The callback handlers of the ``messages`` and ``tools`` stream modes.

A run that streams ``messages`` (or ``tools``) itself brings its own handler,
kept in its config so subgraphs stream into it; loaded with ``_tracing``, only
when langchain-core is in use.
"""

from __future__ import annotations

import copy
from typing import Any

from langchain_core.tracers.context import _tracing_v2_is_enabled

from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_STREAM_MESSAGES_V2,
    NS_SEP,
)
from stategraph.pregel._messages import StreamMessagesHandler, StreamMessagesHandlerV2

HANDLER_KEY = "__pregel_messages_handler"
"""Config key of the run's messages handler, shared with its subgraphs."""
TOOLS_HANDLER_KEY = "__pregel_tools_handler"
"""Config key of the run's tools handler, shared with its subgraphs."""


def wanted(config: dict[str, Any], modes: set[str]) -> bool:
    """Whether a run needs callbacks at all (the cheap check comes first)."""
    if config.get("callbacks") or "messages" in modes or "tools" in modes:
        return True
    return bool(_tracing_v2_is_enabled())


def messages_handler(
    config: dict[str, Any],
    modes: set[str],
    sink: Any,
    subgraphs: bool,
    version: str = "v1",
) -> StreamMessagesHandler | None:
    """The handler streaming chat-model tokens for this run, if it streams messages.

    A subgraph streams into its parent's handler; only a run that asks for
    ``messages`` itself (the root, or a nested ``stream(stream_mode=...)``)
    brings its own.
    """
    if "messages" not in modes:
        return None
    if version != "v2" and config.get("callbacks") is not None:
        # A v2 messages handler inherited from an outer run (``stream_events``
        # v3) would route this run's chat models through content-block events:
        # they must stream tokens, each carrying the model run's message id.
        config["callbacks"] = _without_v2(config["callbacks"])
    v2 = version == "v2" and config[CONF].get(CONFIG_KEY_STREAM_MESSAGES_V2)
    cls = StreamMessagesHandlerV2 if v2 else StreamMessagesHandler
    handler = cls(sink.put, subgraphs, parent_ns=_own_ns(config))
    # Tokens and node outputs streamed to one sink share its seen message ids.
    handler.seen = sink.seen_messages
    config[CONF][HANDLER_KEY] = handler
    return handler


def _without_v2(callbacks: Any) -> Any:
    """``callbacks`` (a list or a manager) without v2 messages handlers."""

    def keep(handlers: list[Any]) -> list[Any]:
        return [h for h in handlers if not isinstance(h, StreamMessagesHandlerV2)]

    if isinstance(callbacks, list):
        return keep(callbacks)
    manager = copy.copy(callbacks)
    manager.handlers = keep(callbacks.handlers)
    manager.inheritable_handlers = keep(callbacks.inheritable_handlers)
    return manager


def tools_handler(
    config: dict[str, Any], modes: set[str], sink: Any, subgraphs: bool
) -> Any:
    """The handler streaming tool calls for this run, if it streams ``tools``.

    As with ``messages``, a subgraph streams into its parent's handler.
    """
    if "tools" not in modes:
        return None
    if config[CONF].get(TOOLS_HANDLER_KEY) is not None and (
        "__pregel_task_id" in config[CONF]
    ):
        return None
    from stategraph.pregel._tools import StreamToolCallHandler

    handler = StreamToolCallHandler(sink.put, subgraphs, parent_ns=_own_ns(config))
    config[CONF][TOOLS_HANDLER_KEY] = handler
    return handler


def _own_ns(config: dict[str, Any]) -> tuple[str, ...]:
    """The namespace of the graph a handler is made for.

    A graph streamed from inside another graph's node (``stream_mode=
    "messages"`` without ``subgraphs``) still streams its own nodes' tokens.
    """
    ns = config[CONF].get(CONFIG_KEY_CHECKPOINT_NS, "")
    return tuple(ns.split(NS_SEP)) if ns else ()


def stream_handlers(
    config: dict[str, Any],
    modes: set[str],
    sink: Any,
    subgraphs: bool,
    version: str = "v1",
) -> list[Any] | None:
    """The callback handlers of the run's ``messages`` and ``tools`` modes."""
    found = [
        messages_handler(config, modes, sink, subgraphs, version),
        tools_handler(config, modes, sink, subgraphs),
    ]
    return [h for h in found if h is not None] or None


__all__ = [
    "HANDLER_KEY",
    "TOOLS_HANDLER_KEY",
    "messages_handler",
    "stream_handlers",
    "tools_handler",
    "wanted",
]
