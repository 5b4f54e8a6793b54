"""The ``Pregel`` runtime object and ``NodeBuilder``."""

from stategraph.pregel._builder import NodeBuilder as NodeBuilder
from stategraph.pregel._pregel import Pregel as Pregel

__all__ = ("Pregel", "NodeBuilder")
