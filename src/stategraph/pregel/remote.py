"""``RemoteGraph``: call a graph on a LangGraph-compatible server like a local one."""

from stategraph.errors import RemoteException as RemoteException
from stategraph.pregel._remote import RemoteGraph as RemoteGraph

# LangGraph's private names, importable here as from ``langgraph.pregel.remote``
# (the v3 path reads ``_merge_tracing_headers`` from this module at call time).
from stategraph.pregel._remote_core import (  # noqa: F401
    tracing_headers as _merge_tracing_headers,
)
from stategraph.pregel._remote_v3 import (  # noqa: F401
    V3_SUPPORTED_KWARGS as _V3_SUPPORTED_KWARGS,
)

__all__ = ("RemoteGraph", "RemoteException")
