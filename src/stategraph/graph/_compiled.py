"""``CompiledStateGraph``: a ``Pregel`` that remembers the builder it came from.

Adds what depends on the builder: drawing and JSON schemas.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph.pregel._pregel import Pregel
from stategraph.warnings import LangGraphDeprecatedSinceV10

if TYPE_CHECKING:
    from stategraph.graph._builder import StateGraph


class CompiledStateGraph(Pregel):
    """The runnable graph returned by ``StateGraph.compile()``.

    Run it with ``invoke``/``stream`` (or their async twins); read and change
    a thread's state with ``get_state``/``update_state``.
    """

    def __init__(self, *, builder: StateGraph[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.builder = builder

    def get_graph(self, config: Any = None, *, xray: int | bool = False) -> Any:
        """Return a drawable ``Graph`` of this graph (mermaid, ascii, json).

        Args:
            config: Unused; kept for signature compatibility.
            xray: Expand subgraphs (``True`` for all levels, or a depth).

        Returns:
            A graph object with ``draw_mermaid()``, ``draw_ascii()`` and
            ``to_json()``.
        """
        from stategraph.graph._draw import draw_state_graph

        return draw_state_graph(self, xray=xray)

    async def aget_graph(self, config: Any = None, *, xray: int | bool = False) -> Any:
        """Async version of ``get_graph``."""
        return self.get_graph(config, xray=xray)

    def get_input_jsonschema(self, config: Any = None) -> dict[str, Any]:
        """JSON schema of the graph input (needs pydantic)."""
        from stategraph.graph._jsonschema import schema_json

        b = self.builder
        return schema_json(  # type: ignore[no-any-return]
            b.input_schema,
            b.schemas[b.input_schema],
            b.channels,
            self.get_name("Input"),
        )

    def get_output_jsonschema(self, config: Any = None) -> dict[str, Any]:
        """JSON schema of the graph output (needs pydantic)."""
        from stategraph.graph._jsonschema import schema_json

        b = self.builder
        return schema_json(  # type: ignore[no-any-return]
            b.output_schema,
            b.schemas[b.output_schema],
            b.channels,
            self.get_name("Output"),
        )

    def config_schema(self, *, include: Sequence[str] | None = None) -> Any:
        """Deprecated: a pydantic model of the config (use ``get_context_jsonschema``).

        Args:
            include: ``RunnableConfig`` keys to add besides ``configurable``.

        Returns:
            The model class, named ``<graph name>Config``.
        """
        warnings.warn(
            "`config_schema` is deprecated. Use `get_context_jsonschema` for the "
            "relevant schema instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        from stategraph.graph._jsonschema import config_model

        return config_model(self.get_name("Config"), self.context_schema, include or [])

    def get_config_jsonschema(
        self, *, include: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Deprecated: the JSON schema of ``config_schema()``.

        Args:
            include: ``RunnableConfig`` keys to add besides ``configurable``.
        """
        warnings.warn(
            "`get_config_jsonschema` is deprecated. Use `get_context_jsonschema` "
            "instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=LangGraphDeprecatedSinceV10)
            schema = self.config_schema(include=include)
        return schema.model_json_schema()  # type: ignore[no-any-return]

    def get_context_jsonschema(self) -> dict[str, Any] | None:
        """JSON schema of the context schema, or ``None`` (needs pydantic)."""
        from stategraph.graph._jsonschema import context_json

        return context_json(self.context_schema)  # type: ignore[no-any-return]
