"""What a run hands back: stream chunks framed per mode/version, and results.

``frame`` shapes each engine event the way ``stream`` yields it (v1 tuples or
v2 parts, printing ``print_mode`` events); ``invoke_result`` and
``check_status`` finish an ``invoke``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stategraph._constants import INTERRUPT
from stategraph.errors import ErrorCode, GraphRecursionError, create_error_message

if TYPE_CHECKING:
    from stategraph.pregel._run import Run


def frame(
    run: Run, ns: tuple[str, ...], mode: str, payload: Any, graph: Any
) -> Iterator[Any]:
    """Turn one (namespace, mode, payload) event into what ``stream`` yields."""
    if mode in run.print_mode:
        _print(run, ns, mode, payload)
    stream_mode = run.stream_mode
    if isinstance(stream_mode, str):
        if mode != stream_mode:
            return
    elif mode not in stream_mode:
        return
    if run.version == "v2":
        yield _v2_part(mode, ns, payload, graph)
    elif run.subgraphs and not isinstance(stream_mode, str):
        yield (ns, mode, payload)
    elif not isinstance(stream_mode, str):
        yield (mode, payload)
    elif run.subgraphs:
        yield (ns, payload)
    else:
        yield payload


def _v2_part(
    mode: str, ns: tuple[str, ...], payload: Any, graph: Any
) -> dict[str, Any]:
    if mode == "values":
        ints: Any = ()
        if isinstance(payload, dict):
            ints = payload.pop(INTERRUPT, ())
            if graph.output_mapper is not None:
                payload = graph.output_mapper(payload)
        return {"type": mode, "ns": ns, "data": payload, "interrupts": ints}
    if mode in ("checkpoints", "debug") and graph.state_mapper is not None:
        _coerce_values(payload, graph.state_mapper)
    return {"type": mode, "ns": ns, "data": payload}


def _coerce_values(payload: Any, mapper: Any) -> None:
    if not isinstance(payload, dict):
        return
    inner = payload
    if payload.get("type") == "checkpoint" and isinstance(payload.get("payload"), dict):
        inner = payload["payload"]
    if isinstance(inner.get("values"), dict) and "__start__" not in inner.get(
        "next", ()
    ):
        inner["values"] = mapper(inner["values"])


def _print(run: Run, ns: tuple[str, ...], mode: str, payload: Any) -> None:
    bold = f"\033[1m[{mode}]\033[0m"
    if run.subgraphs and ns:
        print(" ".join((bold, f"\033[1;33m[graph={ns}]\033[0m", repr(payload))))
    else:
        print(" ".join((bold, repr(payload))))


def check_status(loop: Any) -> None:
    """Raise when the run stopped on the recursion limit or a drain request."""
    if loop.status == "draining":
        from stategraph.errors import GraphDrained

        raise GraphDrained(loop.runtime.control.drain_reason or "shutdown")
    if loop.status == "out_of_steps":
        msg = create_error_message(
            message=(
                f"Recursion limit of {loop.config['recursion_limit']} reached "
                "without hitting a stop condition. You can increase the "
                "limit by setting the `recursion_limit` config key."
            ),
            error_code=ErrorCode.GRAPH_RECURSION_LIMIT,
        )
        raise GraphRecursionError(msg)


def invoke_result(run: Run, loop: Any, graph: Any) -> Any:
    """What ``invoke`` returns in ``values`` mode, from the finished loop."""
    latest = loop.output if loop.values_emitted else None
    if run.version == "v2":
        from stategraph._types import GraphOutput

        value = latest
        if isinstance(value, dict) and graph.output_mapper is not None:
            value = graph.output_mapper(value)
        return GraphOutput(value=value, interrupts=tuple(loop.interrupts))
    if loop.interrupts:
        if isinstance(latest, dict):
            return {**latest, INTERRUPT: list(loop.interrupts)}
        return {INTERRUPT: list(loop.interrupts)}
    return latest
