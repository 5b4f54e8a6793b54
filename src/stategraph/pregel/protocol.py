"""``PregelProtocol``: the interface shared by local graphs and ``RemoteGraph``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from stategraph.pregel._lc_register import register_as_runnable


class PregelProtocol(ABC):
    """What every runnable graph offers: run, stream, read and update state."""

    @abstractmethod
    def with_config(self, config: Any = None, **kwargs: Any) -> PregelProtocol:
        """A copy whose runs use ``config`` by default."""

    @abstractmethod
    def get_graph(self, config: Any = None, *, xray: int | bool = False) -> Any:
        """A drawable graph."""

    @abstractmethod
    def get_state(self, config: Any, *, subgraphs: bool = False) -> Any:
        """The thread's current ``StateSnapshot``."""

    @abstractmethod
    async def aget_state(self, config: Any, *, subgraphs: bool = False) -> Any:
        """Async ``get_state``."""

    @abstractmethod
    def get_state_history(self, config: Any, **kwargs: Any) -> Iterator[Any]:
        """The thread's snapshots, newest first."""

    @abstractmethod
    def aget_state_history(self, config: Any, **kwargs: Any) -> AsyncIterator[Any]:
        """Async ``get_state_history``."""

    @abstractmethod
    def bulk_update_state(self, config: Any, updates: Sequence[Any]) -> Any:
        """Apply several supersteps of updates."""

    @abstractmethod
    async def abulk_update_state(self, config: Any, updates: Sequence[Any]) -> Any:
        """Async ``bulk_update_state``."""

    @abstractmethod
    def update_state(self, config: Any, values: Any, as_node: str | None = None) -> Any:
        """Apply ``values`` as if ``as_node`` wrote them."""

    @abstractmethod
    async def aupdate_state(
        self, config: Any, values: Any, as_node: str | None = None
    ) -> Any:
        """Async ``update_state``."""

    @abstractmethod
    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:
        """Run and yield stream chunks."""

    @abstractmethod
    def astream(
        self, input: Any, config: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Async ``stream``."""

    @abstractmethod
    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """Run to the end and return the output."""

    @abstractmethod
    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """Async ``invoke``."""


class StreamProtocol:
    """A stream sink: a ``put`` callable and the modes it accepts."""

    __slots__ = ("__call__", "modes")

    def __init__(self, put: Callable[[Any], None], modes: set[str]) -> None:
        self.__call__ = put
        self.modes = modes


# As LangGraph's graphs, ours (local, functional, remote) are LangChain
# runnables: ``isinstance(graph, Runnable)`` holds once langchain-core loads.
register_as_runnable(PregelProtocol)

__all__ = ("PregelProtocol", "StreamProtocol")
