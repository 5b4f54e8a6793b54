"""A graph as a LangChain ``Runnable``, for composing it with LangChain objects.

LangGraph graphs are LangChain runnables, so ``graph | other`` builds a
``RunnableSequence``. Ours are not (the core does not depend on
langchain-core); this module wraps a graph in a thin ``Runnable`` when such
a composition is asked for (``|``, ``with_retry``, ``as_tool``... see
``_runnable_methods``), importing langchain-core only then. The wrapper only
forwards calls (config included) to the graph's own methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any

__all__ = ["as_runnable"]


def as_runnable(graph: Any) -> Any:
    """A LangChain ``Runnable`` that runs ``graph``.

    Raises:
        ImportError: If langchain-core is not installed.
    """
    return _runnable_class()(graph)


@cache
def _runnable_class() -> type[Any]:
    try:
        from langchain_core.runnables import Runnable
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Composing a graph with LangChain runnables (`|`, `with_retry`, "
            "`as_tool`...) needs langchain-core: pip install 'stategraph[langchain]'"
        ) from exc

    class GraphRunnable(Runnable[Any, Any]):
        """Forwards runs, batches and schemas to a graph."""

        def __init__(self, graph: Any) -> None:
            self.graph = graph
            self.name = graph.get_name()

        def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
            return self.graph.invoke(input, config, **kwargs)

        async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
            return await self.graph.ainvoke(input, config, **kwargs)

        def batch(self, inputs: Any, config: Any = None, **kwargs: Any) -> Any:
            return self.graph.batch(inputs, config, **kwargs)

        async def abatch(self, inputs: Any, config: Any = None, **kwargs: Any) -> Any:
            return await self.graph.abatch(inputs, config, **kwargs)

        def stream(
            self, input: Any, config: Any = None, **kwargs: Any
        ) -> Iterator[Any]:
            yield from self.graph.stream(input, config, **kwargs)

        async def astream(
            self, input: Any, config: Any = None, **kwargs: Any
        ) -> AsyncIterator[Any]:
            async for chunk in self.graph.astream(input, config, **kwargs):
                yield chunk

        def get_graph(self, config: Any = None) -> Any:
            # LangChain's own Graph of the same nodes and edges, so a sequence
            # draws the graph's nodes inline, as LangGraph's graphs draw.
            from langchain_core.runnables import graph as lc

            drawn = self.graph.get_graph(config)
            return lc.Graph(
                nodes={
                    key: lc.Node(node.id, node.name, node.data, node.metadata)
                    for key, node in drawn.nodes.items()
                },
                edges=[
                    lc.Edge(e.source, e.target, e.data, e.conditional)
                    for e in drawn.edges
                ],
            )

        # A RemoteGraph takes its schemas from here (LangChain's defaults, as
        # LangGraph's RemoteGraph inherits them); a local graph has its own.
        @property
        def InputType(self) -> Any:
            return Any if _defaults(self.graph) else self.graph.InputType

        @property
        def OutputType(self) -> Any:
            return Any if _defaults(self.graph) else self.graph.OutputType

        @property
        def config_specs(self) -> Any:
            return [] if _defaults(self.graph) else self.graph.config_specs

        def get_input_schema(self, config: Any = None) -> Any:
            if _defaults(self.graph):
                return super().get_input_schema(config)
            return self.graph.get_input_schema(config)

        def get_output_schema(self, config: Any = None) -> Any:
            if _defaults(self.graph):
                return super().get_output_schema(config)
            return self.graph.get_output_schema(config)

    return GraphRunnable


def _defaults(graph: Any) -> bool:
    """Whether ``graph`` takes its schemas from LangChain's ``Runnable`` defaults."""
    return bool(getattr(graph, "_langchain_schemas", False))
