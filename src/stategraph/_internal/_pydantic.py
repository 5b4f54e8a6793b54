"""LangGraph's private ``langgraph._internal._pydantic`` path.

``is_supported_by_pydantic`` tells whether pydantic can validate a container
type (dataclass, model, ``TypedDict``); plain types such as ``int`` are not.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from typing import Any

import typing_extensions

__all__ = ("is_supported_by_pydantic",)


def _is_pydantic_model(type_: Any) -> bool:
    # pydantic is imported only if the caller already loaded it: a class
    # cannot be a model otherwise, and the core stays light.
    pydantic = sys.modules.get("pydantic")
    return (
        pydantic is not None
        and isinstance(type_, type)
        and issubclass(type_, pydantic.BaseModel)
    )


def is_supported_by_pydantic(type_: Any) -> bool:
    """Whether pydantic can validate ``type_`` as a container.

    True for dataclasses, pydantic models and ``TypedDict`` classes
    (``typing.TypedDict`` only from Python 3.12, as pydantic requires).
    """
    if dataclasses.is_dataclass(type_) or _is_pydantic_model(type_):
        return True
    for base in getattr(type_, "__orig_bases__", ()):
        if base is typing_extensions.TypedDict:
            return True
        if base is typing.TypedDict and sys.version_info >= (3, 12):
            return True
    return False
