"""The ``Runnable`` methods ``RemoteGraph`` inherits from LangChain in LangGraph.

Besides what local graphs get from ``RunnableMethods``, LangGraph's
``RemoteGraph`` has LangChain's default ``batch``, ``map`` and
schemas (``Any`` in, ``Any`` out). Batching is written here over
``invoke``/``ainvoke``; the schemas are computed by ``Runnable``'s own methods
on the graph, so they need langchain-core (and pydantic) when asked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from stategraph.pregel._runnable_methods import RunnableMethods, lc_runnable

__all__ = ["RemoteRunnableMethods"]


class RemoteRunnableMethods(RunnableMethods):
    """LangChain's ``Runnable`` defaults for a graph with no local schema."""

    __slots__ = ()

    name: str | None

    def batch(
        self,
        inputs: Sequence[Any],
        config: Any = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Invoke the graph on each input in threads; outputs in input order.

        Args:
            inputs: The inputs.
            config: One config, or one per input (``max_concurrency`` caps
                the threads).
            return_exceptions: Return a run's exception instead of raising it.
            **kwargs: As for ``invoke``.

        Returns:
            One output (or exception) per input.
        """
        out: list[Any] = [None] * len(inputs)
        for i, value in self.batch_as_completed(
            inputs, config, return_exceptions=return_exceptions, **kwargs
        ):
            out[i] = value
        return out

    async def abatch(
        self,
        inputs: Sequence[Any],
        config: Any = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Async version of ``batch``; runs are asyncio tasks."""
        out: list[Any] = [None] * len(inputs)
        async for i, value in self.abatch_as_completed(
            inputs, config, return_exceptions=return_exceptions, **kwargs
        ):
            out[i] = value
        return out

    def map(self) -> Any:
        """A runnable that runs this graph on each item of a list input."""
        from stategraph.pregel._each import EachItem

        return EachItem(self)

    # -- LangChain's schema defaults ---------------------------------------------

    @property
    def InputType(self) -> Any:
        """``Any``: a remote graph's input is not known locally."""
        return Any

    @property
    def OutputType(self) -> Any:
        """``Any``: a remote graph's output is not known locally."""
        return Any

    @property
    def config_specs(self) -> list[Any]:
        """No configurable fields."""
        return []

    @property
    def input_schema(self) -> Any:
        """A pydantic root model of ``Any``, named ``<name>Input``."""
        return self.get_input_schema()

    @property
    def output_schema(self) -> Any:
        """A pydantic root model of ``Any``, named ``<name>Output``."""
        return self.get_output_schema()

    def get_input_schema(self, config: Any = None) -> Any:
        """LangChain's input model for a runnable taking ``Any``."""
        return lc_runnable().get_input_schema(self, config)

    def get_output_schema(self, config: Any = None) -> Any:
        """LangChain's output model for a runnable returning ``Any``."""
        return lc_runnable().get_output_schema(self, config)

    def get_input_jsonschema(self, config: Any = None) -> dict[str, Any]:
        """The JSON schema of ``get_input_schema``."""
        return dict(lc_runnable().get_input_jsonschema(self, config))

    def get_output_jsonschema(self, config: Any = None) -> dict[str, Any]:
        """The JSON schema of ``get_output_schema``."""
        return dict(lc_runnable().get_output_jsonschema(self, config))

    def config_schema(self, *, include: Sequence[str] | None = None) -> Any:
        """LangChain's model of the config the graph accepts."""
        return lc_runnable().config_schema(self, include=include)

    def get_config_jsonschema(
        self, *, include: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """The JSON schema of ``config_schema``."""
        return dict(lc_runnable().get_config_jsonschema(self, include=include))

    def astream_log(
        self, input: Any, config: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """LangChain's run-log patches of a run (``Runnable.astream_log``)."""
        return lc_runnable().astream_log(self, input, config, **kwargs)  # type: ignore[no-any-return]  # LangChain's iterator
