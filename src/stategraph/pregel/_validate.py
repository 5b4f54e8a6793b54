"""Checks a ``Pregel`` graph's layout when it is built: nodes, channels, I/O.

Raises ``ValueError`` (``TypeError`` for a node of the wrong kind) with
LangGraph's messages, so a graph LangGraph rejects is rejected here too, at
construction rather than mid-run. It changes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from stategraph._constants import RESERVED
from stategraph._engine._node import PregelNode
from stategraph._policies import sync_timeout_unsupported
from stategraph.channels import BaseChannel

__all__ = ["natively_async", "validate_pregel"]


def _known(channels: Mapping[str, Any]) -> str:
    return repr(sorted(channels))[:100]


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def validate_pregel(graph: Any) -> None:
    """Raise on the first problem in ``graph``'s nodes, channels and I/O keys.

    Raises:
        ValueError: On a reserved name, an unknown channel or node, input
            channels no node subscribes to, or a timeout on a sync node.
        TypeError: On a node that is not a ``PregelNode``.
    """
    channels = {k: v for k, v in graph.channels.items() if isinstance(v, BaseChannel)}
    managed = {k for k in graph.channels if k not in channels}
    for name in graph.channels:
        if name in RESERVED:
            kind = "Channel name" if name in channels else "Managed name"
            raise ValueError(f"{kind} '{name}' is reserved")
    subscribed = _check_nodes(graph.nodes, channels, managed)
    _check_inputs(graph.input_channels, channels, subscribed)
    outputs = _as_list(graph.output_channels) + _as_list(graph.stream_channels)
    for chan in outputs:
        if chan not in channels:
            raise ValueError(
                f"Output channel '{chan}' not in known channels: '{_known(channels)}'"
            )
    for names in (graph.interrupt_after_nodes, graph.interrupt_before_nodes):
        if names != "*":
            for name in names or ():
                if name not in graph.nodes:
                    raise ValueError(f"Node {name} not in nodes")


def _check_nodes(
    nodes: Mapping[str, Any], channels: Mapping[str, Any], managed: set[str]
) -> set[str]:
    """Check each node's reads and triggers; return every subscribed channel."""
    subscribed: set[str] = set()
    for name, node in nodes.items():
        if name in RESERVED:
            raise ValueError(f"Node name '{name}' is reserved")
        if not isinstance(node, PregelNode):
            raise TypeError(
                f"Invalid node type {type(node)}, expected PregelNode or NodeBuilder"
            )
        if node.timeout is not None and not _timeout_capable(node):
            raise sync_timeout_unsupported(name)
        subscribed.update(node.triggers)
        reads = [node.channels] if isinstance(node.channels, str) else node.channels
        for chan in reads:
            if chan not in channels and (
                isinstance(node.channels, str) or chan not in managed
            ):
                raise ValueError(
                    f"Node {name} reads channel '{chan}' not in known channels: "
                    f"'{_known(channels)}'"
                )
    for chan in subscribed:
        if chan not in channels:
            raise ValueError(
                f"Subscribed channel '{chan}' not in known channels: "
                f"'{_known(channels)}'"
            )
    return subscribed


def _check_inputs(
    inputs: str | Sequence[str], channels: Mapping[str, Any], subscribed: set[str]
) -> None:
    if isinstance(inputs, str):
        if inputs not in channels:
            raise ValueError(
                f"Input channel '{inputs}' not in known channels: '{_known(channels)}'"
            )
        if inputs not in subscribed:
            raise ValueError(f"Input channel {inputs} is not subscribed to by any node")
        return
    for chan in inputs:
        if chan not in channels:
            raise ValueError(f"Input channel '{chan}' not in '{_known(channels)}'")
    if all(chan not in subscribed for chan in inputs):
        raise ValueError(
            f"None of the input channels {inputs} are subscribed to by any node"
        )


def _timeout_capable(node: PregelNode) -> bool:
    """Whether every part of ``node`` runs natively async, so a timeout can cancel it.

    A timeout cancels the node's coroutine; sync code inside it (a sync
    function behind a runnable, a sync writer, one sync branch of a parallel
    map) would keep running, so LangGraph refuses such nodes up front.
    """
    if node.acall is None:
        return False
    parts = [node.bound]
    for writer in node.writers:
        parts.extend(getattr(writer, "runnables", ()))
    return all(natively_async(part) for part in parts)


def natively_async(runnable: Any) -> bool:
    """Whether a runnable's ``ainvoke`` awaits async code all the way down.

    Anything that is not a runnable (a plain function) is judged by the
    caller from its own ``async def``; it passes here.
    """
    kind = type(runnable)
    if not (hasattr(kind, "invoke") and hasattr(kind, "ainvoke")):
        return True
    core = sys.modules.get("langchain_core.runnables")
    if core is None:
        # Without langchain-core the only runnables are our own graphs and
        # callables, which carry their own async flag.
        return getattr(runnable, "afunc", True) is not None
    while isinstance(runnable, core.RunnableBinding):
        runnable = runnable.bound
    steps: Any = None
    if isinstance(runnable, core.RunnableSequence):
        steps = runnable.steps
    elif isinstance(runnable, core.RunnableParallel):
        steps = runnable.steps__.values()
    if steps is not None:
        return all(natively_async(step) for step in steps)
    if isinstance(runnable, core.RunnableLambda):
        return bool(getattr(runnable, "afunc", None))
    if hasattr(runnable, "afunc"):
        return runnable.afunc is not None and not _in_executor(runnable.afunc)
    ainvoke = getattr(type(runnable), "ainvoke", None)
    return ainvoke is not None and ainvoke is not core.Runnable.ainvoke


def _in_executor(afunc: Any) -> bool:
    """An ``afunc`` that only runs the sync function in a thread."""
    return isinstance(afunc, partial) and getattr(afunc.func, "__name__", "") == (
        "run_in_executor"
    )
