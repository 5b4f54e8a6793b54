"""The allow-list of types the serializer may write and rebuild.

Every non-native value is stored as a msgpack extension whose payload names a
type as ``(module, name)``. Loading looks that name up here and nowhere else:
nothing is imported from the name, and only constructors of registered types
run. Registration is explicit (``register_types``), or implicit for the
dataclasses, pydantic models, enums and NamedTuples a serializer has itself
written in this process (see ``JsonPlusSerializer(auto_register=...)``).
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, get_args, get_origin

# Extension codes; the numbering and payload layouts match LangGraph's, so
# either library can read what the other wrote.
EXT_CONSTRUCTOR_SINGLE_ARG = 0
EXT_CONSTRUCTOR_POS_ARGS = 1
EXT_CONSTRUCTOR_KW_ARGS = 2
EXT_METHOD_SINGLE_ARG = 3
EXT_PYDANTIC_V1 = 4
EXT_PYDANTIC_V2 = 5
EXT_NUMPY_ARRAY = 6
EXT_DELTA_SNAPSHOT = 7

Fields = Callable[[Any], Iterable[tuple[str, Any]]]
_MISSING = object()


@dataclasses.dataclass(frozen=True, slots=True)
class TypeSpec:
    """How one type is written and rebuilt.

    Attributes:
        cls: The Python type (exact type match when writing).
        code: Extension code of the payload.
        module: Module name written to the payload.
        name: Type name written to the payload.
        dump: Turns an instance into the payload argument.
        load: Turns the payload argument back into an instance.
        fields: Lists ``(path suffix, child)`` pairs, used to name the path
            of an unserializable value inside the instance.
        tail: Extra payload items after the argument (method names).
        bare: The payload is ``dump(obj)`` alone, without module and name.
    """

    cls: type
    code: int
    module: str
    name: str
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]
    fields: Fields | None = None
    tail: tuple[str, ...] = ()
    bare: bool = False


class TypeRegistry:
    """Types indexed by Python type (for writing) and by wire name (for loading)."""

    def __init__(self) -> None:
        self.by_type: dict[type, TypeSpec] = {}
        self.by_name: dict[tuple[str, str], TypeSpec] = {}
        self.by_code: dict[int, TypeSpec] = {}
        self.bases: list[TypeSpec] = []

    def add(
        self, spec: TypeSpec, *aliases: tuple[str, str], base: bool = False
    ) -> None:
        """Register ``spec`` under its type, its wire name and ``aliases``.

        Args:
            spec: The type description.
            *aliases: Other ``(module, name)`` pairs that load as this type.
            base: Also use the spec for subclasses of ``spec.cls`` on write.
        """
        self.by_type[spec.cls] = spec
        if spec.bare:
            self.by_code[spec.code] = spec
        else:
            self.by_name[(spec.module, spec.name)] = spec
        for alias in aliases:
            self.by_name[alias] = spec
        if base:
            self.bases.append(spec)

    def copy(self) -> TypeRegistry:
        """A registry with the same entries, to extend independently."""
        other = TypeRegistry()
        other.by_type.update(self.by_type)
        other.by_name.update(self.by_name)
        other.by_code.update(self.by_code)
        other.bases.extend(self.bases)
        return other

    def for_subclass(self, cls: type) -> TypeSpec | None:
        """Return the spec of the first registered base class of ``cls``."""
        for spec in self.bases:
            if issubclass(cls, spec.cls):
                return spec
        return None


def _attrs(names: tuple[str, ...]) -> Fields:
    def fields(obj: Any) -> Iterator[tuple[str, Any]]:
        for name in names:
            value = getattr(obj, name, _MISSING)
            if value is not _MISSING:
                yield f".{name}", value

    return fields


def _is_pydantic_class(cls: type) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(cls, pydantic.BaseModel)


def _is_pydantic_v1_class(cls: type) -> bool:
    # Only a program that imported pydantic.v1 can hold such a model.
    v1 = sys.modules.get("pydantic.v1")
    return v1 is not None and issubclass(cls, v1.BaseModel)


def _is_namedtuple_class(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def is_registrable(cls: Any) -> bool:
    """Say whether ``cls`` is a kind of class the serializer can register."""
    return isinstance(cls, type) and (
        dataclasses.is_dataclass(cls)
        or issubclass(cls, enum.Enum)
        or _is_namedtuple_class(cls)
        or _is_pydantic_class(cls)
        or _is_pydantic_v1_class(cls)
    )


def _dataclass_spec(cls: type, module: str, name: str) -> TypeSpec:
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    known = frozenset(names)
    init = frozenset(f.name for f in fields if f.init)

    def dump(obj: Any) -> dict[str, Any]:
        out = {}
        for key in names:
            value = getattr(obj, key, _MISSING)
            if value is not _MISSING:
                out[key] = value
        return out

    def load(data: dict[str, Any]) -> Any:
        unknown = data.keys() - known
        if unknown:
            raise ValueError(f"unknown fields {sorted(map(str, unknown))}")
        obj = cls(**{k: v for k, v in data.items() if k in init})
        for key, value in data.items():
            if key not in init:
                object.__setattr__(obj, key, value)
        return obj

    return TypeSpec(
        cls, EXT_CONSTRUCTOR_KW_ARGS, module, name, dump, load, _attrs(names)
    )


def _pydantic_spec(cls: Any, module: str, name: str) -> TypeSpec:
    names = tuple(cls.model_fields)
    known = frozenset(names)

    def dump(obj: Any) -> dict[str, Any]:
        # Field values live in ``__dict__``; copying it when it holds exactly
        # the fields is several times cheaper than a getattr per field.
        values = obj.__dict__
        if values.keys() == known:
            out: dict[str, Any] = values.copy()
        else:
            out = {key: getattr(obj, key) for key in names}
        extra = obj.__pydantic_extra__
        if extra:
            out.update(extra)
        return out

    def load(data: dict[str, Any]) -> Any:
        try:
            return cls(**data)
        except ValueError:  # pydantic's ValidationError; LangGraph falls back too
            return cls.model_construct(**data)

    return TypeSpec(
        cls, EXT_PYDANTIC_V2, module, name, dump, load, _attrs(names),
        tail=("model_validate_json",),
    )  # fmt: skip


def _pydantic_v1_spec(cls: Any, module: str, name: str) -> TypeSpec:
    names = tuple(cls.__fields__)

    def dump(obj: Any) -> dict[str, Any]:
        return {key: getattr(obj, key) for key in names}

    def load(data: dict[str, Any]) -> Any:
        try:
            return cls(**data)
        except ValueError:  # pydantic's ValidationError, as for v2 models
            return cls.construct(**data)

    return TypeSpec(cls, EXT_PYDANTIC_V1, module, name, dump, load, _attrs(names))


def spec_for_class(
    cls: type, module: str | None = None, name: str | None = None
) -> TypeSpec | None:
    """Build the spec of a dataclass, pydantic model, enum or NamedTuple class.

    Args:
        cls: The class to describe.
        module: Wire module name; defaults to ``cls.__module__``.
        name: Wire type name; defaults to ``cls.__name__``.

    Returns:
        The spec, or ``None`` when ``cls`` is none of the supported kinds.
    """
    module = module or cls.__module__
    name = name or cls.__name__
    if issubclass(cls, enum.Enum):
        return TypeSpec(
            cls, EXT_CONSTRUCTOR_SINGLE_ARG, module, name,
            lambda obj: obj.value, cls, lambda obj: ((".value", obj.value),),
        )  # fmt: skip
    if _is_namedtuple_class(cls):
        names = tuple(cls._fields)  # type: ignore[attr-defined]
        return TypeSpec(
            cls, EXT_CONSTRUCTOR_KW_ARGS, module, name,
            lambda obj: obj._asdict(), lambda data: cls(**data), _attrs(names),
        )  # fmt: skip
    if dataclasses.is_dataclass(cls):
        return _dataclass_spec(cls, module, name)
    if _is_pydantic_class(cls):
        return _pydantic_spec(cls, module, name)
    if _is_pydantic_v1_class(cls):
        return _pydantic_v1_spec(cls, module, name)
    return None


def register_class(registry: TypeRegistry, cls: type) -> TypeSpec | None:
    """Add ``cls`` to ``registry`` unless it is already there; return its spec."""
    spec = registry.by_type.get(cls)
    if spec is None:
        spec = spec_for_class(cls)
        if spec is not None:
            registry.add(spec)
    return spec


def _hints(cls: type) -> list[Any]:
    if _is_pydantic_class(cls):
        return [f.annotation for f in cls.model_fields.values()]  # type: ignore[attr-defined]
    try:
        return list(typing.get_type_hints(cls, include_extras=True).values())
    except (NameError, TypeError, AttributeError):
        raw = getattr(cls, "__annotations__", {})
        return [hint for hint in raw.values() if not isinstance(hint, str)]


def collect_types(*hints: Any) -> list[type]:
    """Find every registrable class reachable from type hints.

    Walks unions, ``Annotated``, generic aliases, ``NewType``, TypedDicts and
    the field annotations of the classes it finds.

    Args:
        *hints: Classes or type annotations (state schemas, field types).

    Returns:
        Registrable classes (dataclasses, pydantic models, enums,
        NamedTuples), in discovery order.
    """
    if not hints:
        return []
    from typing_extensions import is_typeddict  # knows both TypedDict flavours

    found: list[type] = []
    seen: set[int] = set()
    stack = list(reversed(hints))
    while stack:
        hint = stack.pop()
        if id(hint) in seen or hint is None or isinstance(hint, str):
            continue
        seen.add(id(hint))
        if hasattr(hint, "__supertype__"):  # NewType
            stack.append(hint.__supertype__)
        elif get_origin(hint) is typing.Literal:
            continue
        elif get_origin(hint) is not None or type(hint).__name__ == "UnionType":
            stack.extend(reversed(get_args(hint)))
        elif isinstance(hint, type):
            if is_registrable(hint):
                found.append(hint)
            if is_registrable(hint) or is_typeddict(hint):
                stack.extend(reversed(_hints(hint)))
    return found


GLOBAL = TypeRegistry()
"""Types every serializer in the process may write and load."""


def register_types(*types: Any) -> list[type]:
    """Allow the classes reachable from ``types`` in every serializer.

    The graph compiler calls this with the state, input, output and context
    schemas it knows; call it yourself for classes stored in ``Any``-typed
    fields or loaded before the graph that writes them is compiled.

    Args:
        *types: Classes or annotations; dataclasses, pydantic v2 models,
            enums and NamedTuples found in them (fields included) are
            registered, everything else is ignored.

    Returns:
        The classes found.
    """
    found = collect_types(*types)
    for cls in found:
        register_class(GLOBAL, cls)
    return found
