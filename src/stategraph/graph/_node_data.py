"""What a drawn node holds, and how it is named and serialized.

LangGraph puts the node's runnable in ``Node.data``; ``to_json()`` reports its
serialization id and name. stategraph nodes hold plain callables (wrapped in
``BoundCallable``) or compiled graphs, and report the ids LangGraph reports
for the equivalent objects, so JSON output is interchangeable. LangChain
runnables are recognized without importing LangChain.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple
from uuid import UUID

__all__ = [
    "BoundCallable",
    "Edge",
    "Node",
    "is_graph_object",
    "is_runnable",
    "is_uuid",
    "node_data_json",
    "node_data_str",
    "present_as",
]

# Serialization ids LangGraph reports for its own node wrappers; stategraph
# reports the same so ``to_json()`` output is interchangeable.
_CALLABLE_ID = ["langgraph", "_internal", "_runnable", "RunnableCallable"]
_GRAPH_IDS = {
    "CompiledStateGraph": ["langgraph", "graph", "state", "CompiledStateGraph"],
    "Pregel": ["langgraph", "pregel", "main", "Pregel"],
}


def is_uuid(value: str) -> bool:
    """Whether ``value`` parses as a UUID (an id made up by ``next_id``)."""
    try:
        UUID(value)
    except ValueError:
        return False
    return True


class BoundCallable:
    """The payload of a node that runs a plain function.

    Calling it calls the function. It stands where LangGraph puts its
    ``RunnableCallable`` wrapper, and serializes under the same id.

    Args:
        func: The node's function, or ``None`` for the input node.
        name: The node's name.
    """

    __name__: str

    def __init__(self, func: Callable[..., Any] | None, name: str) -> None:
        self.func = func
        self.name = name
        present_as(self, _CALLABLE_ID)

    def get_name(self) -> str:
        """Return the node's name."""
        return self.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.func is None:
            raise TypeError(f"Node {self.name!r} has no function")
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.name}(func={self.func!r})"


def present_as(obj: Any, path: Sequence[str]) -> None:
    """Have LangChain serialize ``obj`` (a runnable) under LangGraph's ``path``.

    LangChain reports a runnable it cannot serialize (in ``to_json()`` of a
    drawing ``prompt | graph`` makes, and in ``dumpd``) by its ``__module__``
    and ``__name__`` when it has a ``__name__``, else by its class's: these
    instance attributes give LangGraph's class path (its class keeps its own).
    """
    obj.__module__ = ".".join(path[:-1])
    obj.__name__ = path[-1]


def wrap_callable(action: Any, name: str) -> Any:
    """A node's action as LangGraph keeps it: plain callables in a ``BoundCallable``.

    Runnables and graphs (told by their class, so a ``Mock`` is a plain
    callable) are kept as they are. ``unwrap`` gives the action back.
    """
    kind = type(action)
    if (hasattr(kind, "invoke") and hasattr(kind, "ainvoke")) or is_graph_object(
        action
    ):
        return action
    return BoundCallable(action, name)


def unwrap(runnable: Any) -> Any:
    """The callable a ``BoundCallable`` holds, or ``runnable`` itself."""
    return runnable.func if isinstance(runnable, BoundCallable) else runnable


def _langchain_class(name: str) -> type[Any] | None:
    """A class of LangChain's runnables module if it is already imported.

    An object can only be an instance of a LangChain class once LangChain is
    imported, so this never needs to import it.
    """
    module = sys.modules.get("langchain_core.runnables.base")
    cls = getattr(module, name, None)
    return cls if isinstance(cls, type) else None


def is_graph_object(data: Any) -> bool:
    names = {cls.__name__ for cls in type(data).__mro__}
    return bool(names & {"PregelProtocol", "Pregel", "CompiledStateGraph"})


def is_runnable(data: Any) -> bool:
    """Whether a node payload is a runnable (kept as is, not wrapped)."""
    runnable = _langchain_class("Runnable")
    if runnable is not None and isinstance(data, runnable):
        return True
    if isinstance(data, BoundCallable) or is_graph_object(data):
        return True
    return hasattr(data, "invoke") and hasattr(data, "ainvoke")


def _class_id(data: Any) -> list[str]:
    """The id LangChain gives objects it cannot serialize: their class path.

    Compiled graphs report LangGraph's class path, whichever library built
    them, so drawings of the same graph serialize alike.
    """
    if hasattr(data, "__name__"):
        return [*str(data.__module__).split("."), str(data.__name__)]
    cls = type(data)
    if is_graph_object(data) and cls.__name__ in _GRAPH_IDS:
        return list(_GRAPH_IDS[cls.__name__])
    path = [*cls.__module__.split("."), cls.__name__]
    # stategraph mirrors LangGraph's module layout; report the LangGraph path.
    return ["langgraph", *path[1:]] if path[0] == "stategraph" else path


def _runnable_id(data: Any) -> list[str]:
    if isinstance(data, BoundCallable):
        return list(_CALLABLE_ID)
    # Node classes defined outside the core (prebuilt's) name their LangGraph
    # class path themselves, since theirs live in different modules.
    declared = getattr(type(data), "_graph_node_id", None)
    if declared is not None:
        return list(declared)
    serializable = _langchain_class("RunnableSerializable")
    if serializable is not None and isinstance(data, serializable):
        return list(data.lc_id())
    return _class_id(data)


def node_data_str(id: str, data: Any) -> str:
    """The display name of a node: its id, unless the id was generated."""
    if not is_uuid(id) or data is None:
        return id
    get_name = getattr(data, "get_name", None)
    text = str(get_name() if callable(get_name) else getattr(data, "__name__", id))
    return text[8:] if text.startswith("Runnable") else text


def node_data_json(node: Node, *, with_schemas: bool = False) -> dict[str, Any]:
    """The JSON form of a node's payload and metadata (without its id)."""
    data = node.data
    out: dict[str, Any]
    if data is None:
        out = {}
    elif is_runnable(data):
        name = node_data_str(node.id, data)
        out = {"type": "runnable", "data": {"id": _runnable_id(data), "name": name}}
    elif inspect.isclass(data) and hasattr(data, "model_json_schema"):
        schema = data.model_json_schema() if with_schemas else None
        out = {"type": "schema", "data": schema or node_data_str(node.id, data)}
    else:
        out = {"type": "unknown", "data": node_data_str(node.id, data)}
    if node.metadata is not None:
        out["metadata"] = node.metadata
    return out


class Edge(NamedTuple):
    """An edge between two node ids; ``data`` is its label."""

    source: str
    target: str
    data: Any = None
    conditional: bool = False

    def copy(self, *, source: str | None = None, target: str | None = None) -> Edge:
        """Return this edge with ``source`` and/or ``target`` replaced."""
        return Edge(
            source or self.source, target or self.target, self.data, self.conditional
        )


class Node(NamedTuple):
    """A node: its id, display name, payload and metadata."""

    id: str
    name: str
    data: Any
    metadata: dict[str, Any] | None

    def copy(self, *, id: str | None = None, name: str | None = None) -> Node:
        """Return this node with ``id`` and/or ``name`` replaced."""
        return Node(id or self.id, name or self.name, self.data, self.metadata)
