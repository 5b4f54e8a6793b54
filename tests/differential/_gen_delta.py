"""``_gen``'s random graphs with their ``log`` in a ``DeltaChannel``.

A ``DeltaChannel`` saves only a sentinel in most checkpoints and rebuilds its
value by replaying the writes of the checkpoint's ancestors, with a full
snapshot every ``snapshot_frequency`` updates.  ``build_delta`` compiles a
``_gen`` spec over a state whose ``log`` is such a channel (a small frequency,
so that runs cross snapshots), so that history, forks, ``update_state`` and
resumes read values rebuilt from deltas.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from _gen import _add_edge, _goto_names, _make_node
from typing_extensions import TypedDict

_STATES: dict[tuple[str, int], Any] = {}


def concat(state: Any, writes: Any) -> list[Any]:
    """``DeltaChannel`` reducer: append every write (lists flatten)."""
    out = list(state or [])
    for w in writes:
        if isinstance(w, list):
            out.extend(w)
        else:
            out.append(w)
    return out


def delta_state(lib: Any, every: int) -> Any:
    """The ``_gen`` state schema with ``log`` in a ``DeltaChannel``."""
    key = (lib.name, every)
    if key not in _STATES:
        delta = lib.module("channels.delta").DeltaChannel
        _STATES[key] = TypedDict(
            "DeltaState",
            {
                "log": Annotated[list, delta(concat, snapshot_frequency=every)],
                "total": Annotated[int, operator.add],
                "count": int,
                "last": str,
            },
            total=False,
        )
    return _STATES[key]


def build_delta(
    lib: Any, spec: dict[str, Any], every: int, *, checkpointer: Any = None
) -> Any:
    """Compile ``spec`` over ``delta_state(lib, every)``."""
    kw: dict[str, Any] = {}
    if checkpointer is not None:
        kw["checkpointer"] = checkpointer
    if spec.get("interrupt_before"):
        kw["interrupt_before"] = spec["interrupt_before"]
    if spec.get("interrupt_after"):
        kw["interrupt_after"] = spec["interrupt_after"]
    return _builder(lib, spec, delta_state(lib, every)).compile(**kw)


def _builder(lib: Any, g: dict[str, Any], schema: Any) -> Any:
    b = lib.StateGraph(schema)
    for node in g["nodes"]:
        kw: dict[str, Any] = {}
        if node["defer"]:
            kw["defer"] = True
        if node["kind"] == "subgraph":
            b.add_node(node["name"], _builder(lib, node["sub"], schema).compile(), **kw)
            continue
        if node["kind"] == "command":
            kw["destinations"] = tuple(_goto_names(node["goto"]["options"]))
        b.add_node(node["name"], _make_node(lib, node), **kw)
    for e in g["edges"]:
        _add_edge(lib, b, e)
    return b
