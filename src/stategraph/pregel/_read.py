"""``PregelNode`` with LangGraph's constructor, for graphs built by hand.

LangGraph users write ``PregelNode(channels=..., triggers=..., bound=...,
writers=[ChannelWrite(...)])``. This module turns those arguments into the
engine's own node class (a subclass, so the engine treats both alike and pays
nothing per step); it never runs nodes itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stategraph._engine._node import PregelNode as _EngineNode
from stategraph._policies import TimeoutPolicy
from stategraph.pregel._call import make_calls
from stategraph.pregel._write import ChannelWrite

__all__ = ["PregelNode", "engine_writers"]


class PregelNode(_EngineNode):
    """A node of a ``Pregel`` graph: what triggers it, what it reads, runs and writes.

    Args:
        channels: Channel read as the input (a str gives its bare value), or
            channels read into a dict (a list).
        triggers: Channels whose update schedules the node.
        mapper: Transforms the input before ``bound`` sees it.
        writers: Writers run on the output, in order: ``ChannelWrite``s, or
            runnables whose output feeds the next writer.
        tags: Tags of the node's runs.
        metadata: Metadata of the node's runs.
        bound: The node's code (callable, runnable or graph); without it the
            node passes its input through.
        retry_policy: Retry policy or policies.
        cache_policy: Cache policy.
        subgraphs: Graphs the node runs (found from ``bound`` when omitted).
        timeout: Per-attempt time limit (async nodes only).
        trace_policy: What tracers record for the node's run (``TracePolicy``).
        name: The node's name (set by ``Pregel`` from its key).
        **kwargs: LangGraph-only options without effect here
            (``is_error_handler``, ``error_handler_node``).

    Raises:
        ValueError: If ``timeout`` is not positive.
    """

    __slots__ = ()

    def __init__(
        self,
        *,
        channels: str | list[str],
        triggers: Sequence[str],
        mapper: Any = None,
        writers: Sequence[Any] | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        bound: Any = None,
        retry_policy: Any = None,
        cache_policy: Any = None,
        subgraphs: Sequence[Any] | None = None,
        timeout: Any = None,
        trace_policy: Any = None,
        name: str = "",
        **kwargs: Any,
    ) -> None:
        call, acall = make_calls(bound, name or "node")
        super().__init__(
            name=name,
            triggers=triggers,
            channels=channels,
            call=call,
            acall=acall,
            mapper=mapper,
            writers=engine_writers(writers or ()),
            bound=bound,
            metadata=dict(metadata) if metadata else None,
            tags=tags,
            retry_policy=retry_policy,
            cache_policy=cache_policy,
            subgraphs=_subgraphs_of(bound) if subgraphs is None else subgraphs,
            timeout=TimeoutPolicy.coerce(timeout),
            trace_policy=trace_policy,
        )


def engine_writers(writers: Sequence[Any]) -> list[Any]:
    """Writers in the engine's ``writer(task, output)`` form.

    ``ChannelWrite``s and plain ``(task, output)`` functions are kept. A
    runnable writer transforms the value the writers after it see (as in
    LangGraph's writer sequence), so a list holding one becomes a single
    writer that threads the value through.
    """
    if not any(_is_runnable(w) for w in writers):
        return list(writers)
    chain = list(writers)

    def write(task: Any, output: Any) -> None:
        value = output
        for writer in chain:
            if _is_runnable(writer):
                value = writer.invoke(value, task.config)
            else:
                writer(task, value)

    # Kept for validation: a timeout needs every runnable writer to be async.
    write.runnables = [w for w in chain if _is_runnable(w)]  # type: ignore[attr-defined]
    return [write]


def _is_runnable(writer: Any) -> bool:
    kind = type(writer)
    return (
        not isinstance(writer, ChannelWrite)
        and hasattr(kind, "invoke")
        and hasattr(kind, "ainvoke")
    )


def _subgraphs_of(bound: Any) -> list[Any]:
    from stategraph.pregel._pregel import Pregel

    return [bound] if isinstance(bound, Pregel) else []
