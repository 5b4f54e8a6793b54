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

from _gen import _make_node, build_nodes
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
    schema = delta_state(lib, every)
    builder = build_nodes(lib, spec, schema, lambda node, _: _make_node(lib, node))
    return builder.compile(**kw)
