"""``CompiledStateGraph``: a ``Pregel`` that remembers the builder it came from.

Adds what depends on the builder: drawing and JSON schemas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stategraph.pregel._pregel import Pregel

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
