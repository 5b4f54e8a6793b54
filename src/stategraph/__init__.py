"""stategraph: durable agent workflows as graphs; a fast drop-in for LangGraph.

Architecture, lowest layer first (a layer never imports a higher one):

- ``_engine``: the sans-IO superstep core and its sync/async drivers;
- ``channels``, ``checkpoint``, ``cache``: state containers, savers, caches;
- ``graph``, ``func``: builders that compile user code into engine specs;
- ``pregel``: the runnable graph object users invoke and stream.

Public modules (``graph``, ``types``, ``errors``, ...) only re-export names
from private modules, so imports stay cheap.
"""

__version__ = "0.1.0"
