"""Deprecated location of ``stategraph.types`` names (LangGraph's ``pregel.types``)."""

from stategraph.types import *  # noqa: F403
from stategraph.types import __all__ as __all__
