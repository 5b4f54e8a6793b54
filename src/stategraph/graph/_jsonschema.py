"""JSON schemas of a compiled graph's input, output and context (for servers and UIs).

Built with pydantic, imported only when a schema is asked for; the core never
needs pydantic otherwise.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Sequence
from inspect import isclass
from typing import Annotated, Any, Optional, Union, get_origin, get_type_hints

from typing_extensions import NotRequired, Required, is_typeddict

from stategraph.channels import BaseChannel
from stategraph.graph._jsonschema_messages import retyped_typeddict, update_type


def _pydantic() -> Any:
    try:
        import pydantic
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "JSON schemas of graphs need pydantic: pip install 'stategraph[all]'"
        ) from exc
    return pydantic


def _is_optional(type_: Any) -> bool:
    if isinstance(type_, types.UnionType):
        return any(a is type(None) or _is_optional(a) for a in type_.__args__)
    if hasattr(type_, "__origin__") and hasattr(type_, "__args__"):
        origin = get_origin(type_)
        if origin is Optional:
            return True
        if origin is Union:
            return any(a is type(None) or _is_optional(a) for a in type_.__args__)
        if origin is Annotated:
            return _is_optional(type_.__args__[0])
        return origin is None
    if getattr(type_, "__bound__", None) is not None:
        return _is_optional(type_.__bound__)
    return type_ is None


def _is_required(type_: Any) -> bool | None:
    origin = get_origin(type_)
    if origin is Required:
        return True
    if origin is NotRequired:
        return False
    if origin is Annotated or getattr(origin, "__args__", None):
        return _is_required(type_.__args__[0])
    return None


def _model_schema(model: Any) -> Any:
    return model.model_json_schema()


def field_default(name: str, type_: Any, schema: Any) -> Any:
    """The default of a state field, as the schema declares it (``...``: required)."""
    required = _is_required(type_)
    if name in getattr(schema, "__optional_keys__", frozenset()):
        return ... if required else None
    if required is not None:
        return ... if required else None
    if dataclasses.is_dataclass(schema):
        for f in dataclasses.fields(schema):
            if f.name == name:
                if f.default is not dataclasses.MISSING and f.default is not ...:
                    return f.default
                if f.default_factory is not dataclasses.MISSING:
                    return f.default_factory()
    return None if _is_optional(type_) else ...


def schema_json(
    typ: Any, fields: dict[str, Any], channels: dict[str, Any], name: str
) -> Any:
    """JSON schema of one of a builder's schemas (input or output)."""
    pydantic = _pydantic()
    cls: Any = typ
    if isclass(cls) and issubclass(cls, pydantic.BaseModel):
        return _model_schema(cls)
    if is_typeddict(typ):
        return pydantic.TypeAdapter(retyped_typeddict(typ)).json_schema()
    keys = list(fields)
    model: Any
    if keys == ["__root__"]:
        # A bare-type state is one value: its schema is that value's.
        model = pydantic.create_model(
            name,
            __base__=pydantic.RootModel,
            root=(update_type(channels["__root__"]), None),
        )
        return model.model_json_schema()
    from stategraph.pregel._schemas import fields_model

    kept = [k for k in keys if k in channels and isinstance(channels[k], BaseChannel)]
    # Named and configured as LangGraph's models: private and reserved names
    # (``_x``, ``schema``) are kept as aliases.
    model = fields_model(
        name,
        {k: update_type(channels[k]) for k in kept},
        {k: field_default(k, channels[k].UpdateType, typ) for k in kept},
    )
    return model.model_json_schema()


def context_json(schema: Any) -> Any:
    """JSON schema of a context schema (``None`` when there is none)."""
    if schema is None:
        return None
    pydantic = _pydantic()
    cls: Any = schema
    if isclass(cls) and issubclass(cls, pydantic.BaseModel):
        return _model_schema(cls)
    if is_typeddict(schema) or dataclasses.is_dataclass(schema):
        return pydantic.TypeAdapter(schema).json_schema()
    raise ValueError(
        f"Invalid context schema type: {schema}. Must be a BaseModel, TypedDict "
        "or dataclass."
    )


def config_model(name: str, context_schema: Any, include: Sequence[str]) -> Any:
    """The deprecated config model: ``configurable`` typed by the context schema.

    Plus the ``RunnableConfig`` keys named in ``include`` (langchain's types when
    langchain-core is installed, as LangGraph uses them).
    """
    pydantic = _pydantic()
    config_type: Any
    try:
        from langchain_core.runnables import RunnableConfig as config_type
    except ImportError:  # pragma: no cover - depends on the environment
        from stategraph._config import RunnableConfig as config_type
    fields: dict[str, Any] = {}
    if context_schema:
        fields["configurable"] = (context_schema, None)
    for key, hint in get_type_hints(config_type).items():
        if key in include and key != "configurable":
            fields[key] = (hint, None)
    return pydantic.create_model(name, **fields)
