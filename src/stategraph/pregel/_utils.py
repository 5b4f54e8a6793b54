"""Finding the graph a node runs, from the objects its function can reach.

A node counts as a subgraph node when it is a graph, or when its function
refers to one: through a closure variable, a global it names, or an
attribute path off either (``holder.graph.invoke``). References are read
from the function's code objects (no source needed), so this works for
functions built by ``exec`` and sees through ``functools.wraps`` wrappers.
It only inspects objects; it never calls the node.
"""

from __future__ import annotations

import dis
from collections.abc import Callable
from types import CodeType, FunctionType
from typing import Any

__all__ = ["find_subgraph_pregel", "get_function_nonlocals"]

# Values whose attributes are never followed. Exact types only: a subclass of
# a builtin can carry a graph as an attribute.
_DEAD_ENDS = frozenset(
    {
        int,
        float,
        complex,
        bool,
        str,
        bytes,
        bytearray,
        list,
        tuple,
        dict,
        set,
        frozenset,
        type(None),
    }
)

_LOADS_NAME = frozenset({"LOAD_GLOBAL", "LOAD_DEREF"})
_LOADS_ATTR = frozenset({"LOAD_ATTR", "LOAD_METHOD"})


def get_function_nonlocals(func: Callable[..., Any]) -> list[Any]:
    """The values ``func`` can reach from outside its own scope.

    Args:
        func: A function, bound method or ``functools.wraps`` wrapper.

    Returns:
        Every captured closure value, then each global it names and each
        value along an attribute path loaded from either, in code order.
        Dead code and names seen only by nested functions' globals are not
        followed. Callables without a code object give ``[]``.
    """
    func = getattr(func, "__func__", func)
    wrapped = getattr(func, "__wrapped__", None)
    if callable(wrapped):
        func = getattr(wrapped, "__func__", wrapped)
    if not isinstance(func, FunctionType):
        return []
    code = func.__code__
    cells = _cell_values(func)
    names = func.__globals__
    globals_ = {n: names[n] for n in code.co_names if n in names}
    found = list(cells.values())
    if all(type(v) in _DEAD_ENDS for v in (*cells.values(), *globals_.values())):
        return found
    pending: list[CodeType] = [code]
    while pending:
        current = pending.pop(0)
        pending.extend(c for c in current.co_consts if isinstance(c, CodeType))
        found.extend(_chain_values(current, globals_, cells))
    return found


def _cell_values(func: FunctionType) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, cell in zip(
        func.__code__.co_freevars, func.__closure__ or (), strict=False
    ):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # a variable assigned after the function was made
            continue
    return values


def _chain_values(
    code: CodeType, globals_: dict[str, Any], cells: dict[str, Any]
) -> list[Any]:
    """Values loaded by ``NAME.attr.attr`` chains that start at a global or cell."""
    found: list[Any] = []
    current: Any = None
    for instruction in dis.get_instructions(code):
        op = instruction.opname
        if op == "LOAD_GLOBAL":
            current = globals_.get(instruction.argval)
        elif op == "LOAD_DEREF":
            current = cells.get(instruction.argval)
        elif op in _LOADS_ATTR and current is not None:
            current = getattr(current, instruction.argval, None)
        else:
            # Any other instruction ends the chain: ``a, b.c`` is not ``a.c``.
            current = None
            continue
        if current is not None:
            found.append(current)
    return found


def find_subgraph_pregel(candidate: Any) -> Any | None:
    """The graph ``candidate`` runs: itself, or one its function refers to.

    Graphs compiled with ``checkpointer=False`` keep no state of their own
    and are skipped.
    """
    from stategraph.graph._node_data import is_graph_object

    candidates = [candidate]
    if not is_graph_object(candidate) and callable(candidate):
        candidates.extend(
            getattr(v, "__self__", v) for v in get_function_nonlocals(candidate)
        )
    for value in candidates:
        if is_graph_object(value) and getattr(value, "checkpointer", None) is not False:
            return value
    return None
