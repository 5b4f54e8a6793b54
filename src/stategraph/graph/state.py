"""``StateGraph`` and ``CompiledStateGraph`` (LangGraph's ``graph.state`` path)."""

from stategraph.graph._builder import StateGraph as StateGraph
from stategraph.graph._compiled import CompiledStateGraph as CompiledStateGraph

__all__ = ("StateGraph", "CompiledStateGraph")
