"""Input, output, context and config schemas of a ``Pregel`` graph.

The schemas are pydantic models built on demand from the graph's channels,
so pydantic is imported only when one is asked for; running a graph never
needs it. ``SchemaMixin`` holds no state of its own: it reads ``channels``,
``input_channels``, ``output_channels``, ``context_schema`` and ``name`` of
the graph it is mixed into.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache
from inspect import isclass
from types import GenericAlias
from typing import TYPE_CHECKING, Any

from typing_extensions import is_typeddict

from stategraph.channels import BaseChannel
from stategraph.warnings import LangGraphDeprecatedSinceV10

__all__ = ["SchemaMixin", "fields_model", "root_model"]

_CONFIG_FIELDS = (
    "tags",
    "metadata",
    "callbacks",
    "run_name",
    "max_concurrency",
    "recursion_limit",
    "configurable",
    "run_id",
)


class SchemaMixin:
    """Schema accessors of a graph: ``input_schema``, ``get_output_jsonschema``...

    A graph with one input (output) channel takes (returns) that channel's
    bare value, so its schema is a root model of the channel's type; with a
    list of channels the schema is an object with one optional field each.
    """

    channels: Mapping[str, Any]
    input_channels: str | Sequence[str]
    output_channels: str | Sequence[str]
    context_schema: Any

    if TYPE_CHECKING:

        def get_name(
            self, suffix: str | None = None, *, name: str | None = None
        ) -> str: ...

    @property
    def InputType(self) -> Any:
        """The type of the input when the graph reads one channel, else ``None``."""
        if isinstance(self.input_channels, str):
            channel = self.channels[self.input_channels]
            if isinstance(channel, BaseChannel):
                return channel.UpdateType
        return None

    @property
    def OutputType(self) -> Any:
        """The type of the output when the graph returns one channel, else ``None``."""
        if isinstance(self.output_channels, str):
            channel = self.channels[self.output_channels]
            if isinstance(channel, BaseChannel):
                return channel.ValueType
        return None

    @property
    def input_schema(self) -> Any:
        """The pydantic model of the graph's input."""
        return self.get_input_schema()

    @property
    def output_schema(self) -> Any:
        """The pydantic model of the graph's output."""
        return self.get_output_schema()

    @property
    def config_specs(self) -> list[Any]:
        """Configurable fields of the graph; graphs declare none."""
        return []

    def get_input_schema(self, config: Any = None) -> Any:
        """The pydantic model of the graph's input.

        Args:
            config: Unused; kept for signature compatibility.

        Returns:
            A root model of the input channel's type, or a model with one
            optional field per input channel.
        """
        name = self.get_name("Input")
        if isinstance(self.input_channels, str):
            return root_model(name, self.InputType)
        keys = self.input_channels or list(self.channels)
        return fields_model(name, self._field_types(keys, update=True))

    def get_output_schema(self, config: Any = None) -> Any:
        """The pydantic model of the graph's output.

        Args:
            config: Unused; kept for signature compatibility.

        Returns:
            A root model of the output channel's type, or a model with one
            optional field per output channel.
        """
        name = self.get_name("Output")
        if isinstance(self.output_channels, str):
            return root_model(name, self.OutputType)
        return fields_model(name, self._field_types(self.output_channels, update=False))

    def get_input_jsonschema(self, config: Any = None) -> dict[str, Any]:
        """The JSON schema of the graph's input."""
        return self.get_input_schema(config).model_json_schema()  # type: ignore[no-any-return]  # pydantic model

    def get_output_jsonschema(self, config: Any = None) -> dict[str, Any]:
        """The JSON schema of the graph's output."""
        return self.get_output_schema(config).model_json_schema()  # type: ignore[no-any-return]  # pydantic model

    def get_context_jsonschema(self) -> dict[str, Any] | None:
        """The JSON schema of ``context_schema``, or ``None`` without one.

        Raises:
            ValueError: If the context schema is not a pydantic model, a
                TypedDict or a dataclass.
        """
        schema = self.context_schema
        if schema is None:
            return None
        pydantic = _pydantic()
        if isclass(schema) and issubclass(schema, pydantic.BaseModel):
            return _model_json(schema)
        if is_typeddict(schema) or dataclasses.is_dataclass(schema):
            return pydantic.TypeAdapter(schema).json_schema()  # type: ignore[no-any-return]  # pydantic
        raise ValueError(
            f"Invalid context schema type: {schema}. Must be a BaseModel, "
            "TypedDict or dataclass."
        )

    def config_schema(self, *, include: Sequence[str] | None = None) -> Any:
        """Deprecated: a model of the run config; use ``get_context_jsonschema``."""
        warnings.warn(
            "`config_schema` is deprecated. Use `get_context_jsonschema` for the "
            "relevant schema instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        fields: dict[str, Any] = {}
        if self.context_schema is not None:
            fields["configurable"] = self.context_schema
        for key in include or ():
            if key in _CONFIG_FIELDS and key != "configurable":
                fields[key] = Any
        return fields_model(self.get_name("Config"), fields)

    def get_config_jsonschema(
        self, *, include: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Deprecated: JSON schema of ``config_schema``."""
        warnings.warn(
            "`get_config_jsonschema` is deprecated. Use `get_context_jsonschema` "
            "instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LangGraphDeprecatedSinceV10)
            model = self.config_schema(include=include)
        return model.model_json_schema()  # type: ignore[no-any-return]  # pydantic

    def _field_types(self, keys: Sequence[str], *, update: bool) -> dict[str, Any]:
        """The type of each channel in ``keys`` (managed values are left out)."""
        types: dict[str, Any] = {}
        for key in keys:
            channel = self.channels[key]
            if isinstance(channel, BaseChannel):
                hint = channel.UpdateType if update else channel.ValueType
                types[key] = _langgraph_message_types(hint)
        return types


def _model_json(model: Any) -> dict[str, Any]:
    return model.model_json_schema()  # type: ignore[no-any-return]  # pydantic


def _pydantic() -> Any:
    try:
        import pydantic
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Graph schemas need pydantic: pip install 'stategraph[all]'"
        ) from exc
    return pydantic


def root_model(name: str, type_: Any) -> Any:
    """A pydantic root model named ``name`` holding one value of ``type_``.

    ``None`` as the type means "unknown": the model has no fields, as
    LangGraph's is.
    """
    if type_ is None:
        return fields_model(name, {})
    if (
        isclass(type_)
        and not isinstance(type_, GenericAlias)
        and issubclass(type_, _pydantic().BaseModel)
    ):
        return type_  # a model is its own schema, as in LangChain
    try:
        return _cached_root_model(name, type_)
    except TypeError:  # an unhashable type annotation
        return _root_model(name, type_)


def fields_model(
    name: str, types: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> Any:
    """A pydantic model named ``name`` with one field per entry of ``types``.

    Args:
        name: The model's name (its schema's title).
        types: The type of each field.
        defaults: Defaults of some fields (``...``: required); the others
            default to ``None``.
    """
    given = defaults or {}
    items = tuple((key, type_, given.get(key)) for key, type_ in types.items())
    try:
        return _cached_fields_model(name, items)
    except TypeError:  # an unhashable type annotation or default
        return _fields_model(name, items)


@lru_cache(maxsize=256)
def _cached_root_model(name: str, type_: Any) -> Any:
    return _root_model(name, type_)


@lru_cache(maxsize=256)
def _cached_fields_model(name: str, items: tuple[tuple[str, Any, Any], ...]) -> Any:
    return _fields_model(name, items)


def _root_model(name: str, type_: Any) -> Any:
    pydantic = _pydantic()
    type_ = _langgraph_message_types(type_)

    def model_json_schema(cls: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # The schema of a root model takes the title of the wrapped type;
        # the graph's schema is titled with the graph's name instead.
        schema: dict[str, Any] = super(cls, cls).model_json_schema(*args, **kwargs)
        schema["title"] = name
        return schema

    namespace = {
        "__annotations__": {"root": type_},
        "__module__": __name__,
        "model_config": pydantic.ConfigDict(arbitrary_types_allowed=True),
        "model_json_schema": classmethod(model_json_schema),
    }
    return type(name, (pydantic.RootModel,), namespace)


def _langgraph_message_types(type_: Any) -> Any:
    # Our MessagesState types its messages list[Any] (no langchain import);
    # LangGraph's types them list[AnyMessage], whose schema lists the models.
    from stategraph.graph._jsonschema_messages import langgraph_type

    return langgraph_type(type_)


def _fields_model(name: str, items: tuple[tuple[str, Any, Any], ...]) -> Any:
    pydantic = _pydantic()
    fields: dict[str, Any] = {}
    for key, type_, default in items:
        if key.startswith("_") or key in _reserved_names():
            # pydantic refuses such field names: keep the channel name as
            # the alias of a renamed field.
            title = key.lstrip("_").replace("_", " ").title()
            field = pydantic.Field(
                default=default, alias=key, serialization_alias=key, title=title
            )
            fields[f"private_{key}"] = (type_, field)
        else:
            fields[key] = (type_, default)
    config = pydantic.ConfigDict(
        arbitrary_types_allowed=True, frozen=True, protected_namespaces=()
    )
    return pydantic.create_model(name, __config__=config, **fields)


@lru_cache(maxsize=1)
def _reserved_names() -> frozenset[str]:
    model = _pydantic().BaseModel
    return frozenset(k for k in dir(model) if not k.startswith("_"))
