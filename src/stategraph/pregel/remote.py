"""``RemoteGraph``: call a graph on a LangGraph-compatible server like a local one."""

from stategraph.errors import RemoteException as RemoteException
from stategraph.pregel._remote import RemoteGraph as RemoteGraph

__all__ = ("RemoteGraph", "RemoteException")
