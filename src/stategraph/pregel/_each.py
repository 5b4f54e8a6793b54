"""``Pregel.map()``: a runnable-like object running a graph on each item of a list.

LangGraph graphs are LangChain runnables and inherit ``map()``; this is the
one piece of that interface hand-built graphs use as a node. It only calls
the graph's own ``batch``/``abatch``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EachItem"]


class EachItem:
    """Runs ``graph`` on every item of its input list, returning the outputs.

    Args:
        graph: A graph (anything with ``batch`` and ``abatch``).
    """

    __slots__ = ("graph",)

    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def invoke(self, input: list[Any], config: Any = None, **kwargs: Any) -> Any:
        """The graph's outputs for each item, in order."""
        return self.graph.batch(input, config, **kwargs)

    async def ainvoke(self, input: list[Any], config: Any = None, **kwargs: Any) -> Any:
        """Async version of ``invoke``."""
        return await self.graph.abatch(input, config, **kwargs)

    def get_name(self, suffix: str | None = None) -> str:
        """``RunnableEach<graph name>``, as LangChain names it."""
        name = f"RunnableEach<{self.graph.get_name()}>"
        return f"{name}{suffix}" if suffix else name

    def __repr__(self) -> str:
        return f"EachItem(graph={self.graph!r})"
