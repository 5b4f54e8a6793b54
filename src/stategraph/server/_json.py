"""JSON for the wire: what graphs put in state and stream chunks, as JSON bytes.

Graph values hold langchain messages, pydantic models, dataclasses,
``Interrupt``s and tuples; this module turns them into what the LangGraph
server sends. It never deserializes into Python objects other than JSON types.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

import orjson

from stategraph._types import Interrupt, Send

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(value: Any) -> bytes:
    """Encode ``value`` as compact JSON bytes."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def loads(data: bytes | str) -> Any:
    """Decode JSON bytes or text."""
    return orjson.loads(data)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (dicts, lists, str, numbers, None)."""
    return orjson.loads(dumps(value))


def interrupt_json(item: Interrupt) -> dict[str, Any]:
    """An ``Interrupt`` as the server sends it: ``{"value", "id"}``."""
    out: dict[str, Any] = {"value": item.value, "id": item.id}
    schema = getattr(item, "response_schema", None)
    if isinstance(schema, Mapping):
        out["response_schema"] = schema
    return out


def _default(value: Any) -> Any:
    # Order matters: Interrupt is a dataclass, pydantic models (langchain
    # messages among them) would otherwise fall through to __dict__.
    if isinstance(value, Interrupt):
        # Stream frames carry every field of the dataclass, as LangGraph's
        # server sends them; thread state uses the short ``interrupt_json``.
        schema = getattr(value, "response_schema", None)
        return {
            "value": value.value,
            "id": value.id,
            "response_schema": schema if isinstance(schema, Mapping) else None,
        }
    if isinstance(value, Send):
        return {"node": value.node, "arg": value.arg}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if hasattr(value, "_asdict"):
        return value._asdict()
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, BaseException):
        return {"error": type(value).__name__, "message": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return dict(value)
    return repr(value)
