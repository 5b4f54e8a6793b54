"""Deprecated location of ``stategraph.types`` names (LangGraph's ``pregel.types``)."""

from warnings import warn

from stategraph.types import *  # noqa: F403
from stategraph.types import __all__ as __all__
from stategraph.warnings import LangGraphDeprecatedSinceV10

warn(
    "Importing from stategraph.pregel.types is deprecated. "
    "Please use 'from stategraph.types import ...' instead.",
    LangGraphDeprecatedSinceV10,
    stacklevel=2,
)
