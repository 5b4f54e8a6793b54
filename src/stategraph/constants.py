"""Public constants (LangGraph's ``langgraph.constants``)."""

from __future__ import annotations

from typing import Any
from warnings import warn

from stategraph._constants import (
    CONF as CONF,
    END as END,
    START as START,
    TAG_HIDDEN as TAG_HIDDEN,
    TAG_NOSTREAM as TAG_NOSTREAM,
    TASKS as TASKS,
)

CONFIG_KEY_CHECKPOINTER = "__pregel_checkpointer"

__all__ = (
    "END",
    "START",
    "TAG_NOSTREAM",
    "TAG_HIDDEN",
    "CONF",
    "TASKS",
    "CONFIG_KEY_CHECKPOINTER",
)


def __getattr__(name: str) -> Any:
    """Names that moved away warn as LangGraph's do when imported from here."""
    from importlib import import_module

    from stategraph.warnings import LangGraphDeprecatedSinceV10

    if name in ("Send", "Interrupt"):
        warn(
            f"Importing {name} from stategraph.constants is deprecated. "
            f"Please use 'from stategraph.types import {name}' instead.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return getattr(import_module("stategraph.types"), name)
    private = import_module("stategraph._internal._constants")
    if name.isupper() and hasattr(private, name):
        warn(
            f"Importing {name} from stategraph.constants is deprecated. "
            "This constant is now private and should not be used directly.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return getattr(private, name)
    raise AttributeError(f"module has no attribute '{name}'")
