"""The installed stategraph version (LangGraph's ``langgraph.version`` path)."""

from importlib import metadata

__all__ = ("__version__",)

try:
    __version__ = metadata.version("stategraph")
except metadata.PackageNotFoundError:  # running from a source tree, not installed
    __version__ = ""
