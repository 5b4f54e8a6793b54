"""A graph as a LangChain ``Runnable``, for composing it with ``|``.

LangGraph graphs are LangChain runnables, so ``graph | other`` builds a
``RunnableSequence``. Ours are not (the core does not depend on
langchain-core); this module wraps a graph in a thin ``Runnable`` when such
a composition is asked for, importing langchain-core only then. The wrapper
only forwards calls to the graph's own ``invoke``/``stream`` methods.
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
            "Composing a graph with `|` needs langchain-core: "
            "pip install 'stategraph[langchain]'"
        ) from exc

    class GraphRunnable(Runnable[Any, Any]):
        """Forwards ``invoke``/``stream`` (and their async twins) to a graph."""

        def __init__(self, graph: Any) -> None:
            self.graph = graph
            self.name = graph.get_name()

        def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
            return self.graph.invoke(input, config, **kwargs)

        async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
            return await self.graph.ainvoke(input, config, **kwargs)

        def stream(
            self, input: Any, config: Any = None, **kwargs: Any
        ) -> Iterator[Any]:
            yield from self.graph.stream(input, config, **kwargs)

        async def astream(
            self, input: Any, config: Any = None, **kwargs: Any
        ) -> AsyncIterator[Any]:
            async for chunk in self.graph.astream(input, config, **kwargs):
                yield chunk

    return GraphRunnable
