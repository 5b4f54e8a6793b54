"""``JsonPlusSerializer``: allow-listed msgpack serializer of savers and caches.

Plain data (``None``, booleans, numbers, strings, bytes, lists, tuples, dicts)
is written by ormsgpack without calling back into Python. Other values are
written as msgpack extensions naming their type, in the same layout as
LangGraph, and are rebuilt on load only when that type is registered (see
``register_types``). Loading never imports a module named by the data, never
unpickles and never calls a constructor outside the registry.

Like LangGraph, tuples load back as lists (except as dict keys and set
members) and dict subclasses load as plain dicts. Loading is the
``_decode.TypedLoader`` half of the class.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import ormsgpack

from stategraph.checkpoint.serde import _builtin_types, _msgpack
from stategraph.checkpoint.serde._decode import (
    BLOCKED as BLOCKED,
    UNPACK_OPTS as UNPACK_OPTS,
    Blocked as Blocked,
    TypedLoader,
    ascend as ascend,
    descend as descend,
    load_ext as load_ext,
    load_json as load_json,
    park as park,
    report_blocked as report_blocked,
    report_unregistered as report_unregistered,
    unpark as unpark,
    warned_blocked_types as _warned_blocked_types,  # noqa: F401  # LangGraph's
    warned_unregistered_types as _warned_unregistered_types,  # noqa: F401
)
from stategraph.checkpoint.serde._errors import (
    DeserializationError,
    InvalidModuleError,
    UnserializableValueError,
    find_unserializable,
)
from stategraph.checkpoint.serde._registry import (
    EXT_CONSTRUCTOR_KW_ARGS,
    EXT_CONSTRUCTOR_POS_ARGS,
    EXT_CONSTRUCTOR_SINGLE_ARG,
    EXT_DELTA_SNAPSHOT,
    EXT_METHOD_SINGLE_ARG,
    EXT_NUMPY_ARRAY,
    EXT_PYDANTIC_V1,
    EXT_PYDANTIC_V2,
    GLOBAL,
    TypeRegistry,
    TypeSpec,
    collect_types,
    is_registrable,
    register_class,
    register_types,
)
from stategraph.checkpoint.serde.base import SerializerProtocol
from stategraph.checkpoint.serde.event_hooks import (
    emit_serde_event as emit_serde_event,
)
from stategraph.checkpoint.serde.types import SendProtocol as SendProtocol

__all__ = (
    "EXT_CONSTRUCTOR_KW_ARGS",
    "EXT_CONSTRUCTOR_POS_ARGS",
    "EXT_CONSTRUCTOR_SINGLE_ARG",
    "EXT_DELTA_SNAPSHOT",
    "EXT_METHOD_SINGLE_ARG",
    "EXT_NUMPY_ARRAY",
    "EXT_PYDANTIC_V1",
    "EXT_PYDANTIC_V2",
    "DeserializationError",
    "InvalidModuleError",
    "JsonPlusSerializer",
    "UnserializableValueError",
    "register_types",
)

_builtin_types.install(GLOBAL)

_PACK = ormsgpack.packb
_EXT = ormsgpack.Ext
_OPTS = (
    ormsgpack.OPT_NON_STR_KEYS
    | ormsgpack.OPT_PASSTHROUGH_DATACLASS
    | ormsgpack.OPT_PASSTHROUGH_DATETIME
    | ormsgpack.OPT_PASSTHROUGH_ENUM
    | ormsgpack.OPT_PASSTHROUGH_UUID
    | ormsgpack.OPT_REPLACE_SURROGATES
)
EMPTY_BYTES = b""
"""The payload of ``None`` (tag ``"null"``)."""
_NULL = ("null", EMPTY_BYTES)
# ormsgpack's own error for an int outside [-2**63, 2**64): LangGraph's
# serializer lets it through, so a checkpoint holding one fails to save.
_BIG_INT = "Integer exceeds 64-bit range"
Encoder = Callable[[Any], Any]


class JsonPlusSerializer(TypedLoader, SerializerProtocol):
    """Serializer of checkpoints, writes and cache entries (ormsgpack, allow-listed).

    Args:
        allowed_types: Extra classes (or annotations containing them) this
            instance may write and load, on top of the process-wide registry.
        auto_register: Let this instance register the dataclasses, pydantic
            models, enums and NamedTuples it writes, so that it can load them
            back. When ``False`` such values must be registered beforehand,
            or writing them raises ``UnserializableValueError``.
        pickle_fallback: Accepted for LangGraph compatibility; pickle is never
            used, so ``True`` only warns.
        allowed_json_modules: Accepted for LangGraph compatibility; ignored.
        allowed_msgpack_modules: Classes, or ``(module, name)`` pairs of
            classes in modules that are already imported, to allow. Given
            (``None`` or a list), loading is strict, as in LangGraph: a type
            that is neither registered nor listed (even one this serializer
            wrote) loads as its plain data, with a "Blocked" warning. Left
            unset (or ``True``), such types written by this process load,
            with a warning, and others raise ``DeserializationError``; unset
            is strict too when ``LANGGRAPH_STRICT_MSGPACK=true``.
    """

    def __init__(
        self,
        *,
        allowed_types: Iterable[Any] = (),
        auto_register: bool = True,
        pickle_fallback: bool = False,
        allowed_json_modules: Any = None,
        allowed_msgpack_modules: Any = _msgpack._SENTINEL,
    ) -> None:
        if pickle_fallback:
            warnings.warn(
                "stategraph never unpickles: pickle_fallback=True is ignored and "
                "unsupported values raise UnserializableValueError",
                UserWarning,
                stacklevel=2,
            )
        del allowed_json_modules
        self.auto_register = auto_register
        self._local = TypeRegistry()
        self._allowed_msgpack_modules: set[tuple[str, str]] = set()
        self._strict = (
            _msgpack.STRICT_MSGPACK_ENABLED
            if allowed_msgpack_modules is _msgpack._SENTINEL
            else allowed_msgpack_modules not in (True, False)
        )
        self._auto: set[type] = set()  # registered on write, not allowed
        self._encoders: dict[type, Encoder] = {}
        self._default = self._make_default()
        self._ext_hook = self._make_ext_hook()
        self.register(*allowed_types)
        if allowed_msgpack_modules is not _msgpack._SENTINEL and (
            allowed_msgpack_modules not in (None, True, False)
        ):
            self._allow(allowed_msgpack_modules)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(auto_register={self.auto_register})"

    def register(self, *types: Any) -> list[type]:
        """Allow the classes reachable from ``types`` in this serializer only.

        Args:
            *types: Classes or annotations, as for ``register_types``.

        Returns:
            The classes found.
        """
        found = collect_types(*types)
        for cls in found:
            register_class(self._local, cls)
        self._auto.difference_update(found)
        return found

    def _allow(self, entries: Iterable[Any]) -> None:
        for entry in entries:
            if isinstance(entry, type):
                self.register(entry)
            else:
                module, name = entry
                self._allowed_msgpack_modules.add((str(module), str(name)))

    def with_msgpack_allowlist(
        self, extra_allowlist: Iterable[Any]
    ) -> JsonPlusSerializer:
        """Return a copy of this serializer that also allows ``extra_allowlist``.

        Args:
            extra_allowlist: Classes or ``(module, name)`` pairs.

        Returns:
            ``self`` when everything in ``extra_allowlist`` is already allowed.
        """
        extra = list(extra_allowlist)
        if all(self._allows(entry) for entry in extra):
            return self
        # A shallow copy keeps the class (subclasses too) and its settings;
        # the registries and the hooks bound to them are the copy's own.
        clone = copy.copy(self)
        clone._local = self._local.copy()
        clone._allowed_msgpack_modules = set(self._allowed_msgpack_modules)
        clone._auto = set(self._auto)
        clone._encoders = {}
        clone._default = clone._make_default()
        clone._ext_hook = clone._make_ext_hook()
        clone._allow(extra)
        return clone

    def _allows(self, entry: Any) -> bool:
        if isinstance(entry, type):
            found = collect_types(entry)
            return all(c in self._local.by_type and c not in self._auto for c in found)
        module, name = entry
        return (str(module), str(name)) in self._allowed_msgpack_modules

    # -- writing -------------------------------------------------------------

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Serialize ``obj`` to ``(type tag, bytes)``.

        Returns:
            ``("null", b"")`` for ``None``, ``("bytes", obj)`` for bytes,
            ``("bytearray", ...)`` for bytearrays, else ``("msgpack", ...)``.

        Raises:
            UnserializableValueError: When part of ``obj`` has an unsupported
                type, or is an integer outside msgpack's 64-bit range inside
                such a type; its ``path`` (and message) say where, relative
                to ``obj``, e.g. ``['items'][2].client``.
            TypeError: ``Integer exceeds 64-bit range``, as LangGraph's, for
                such an integer anywhere else.
        """
        if obj is None:
            return _NULL
        if isinstance(obj, bytes):
            return "bytes", obj
        if isinstance(obj, bytearray):
            return "bytearray", bytes(obj)
        try:
            return "msgpack", _PACK(obj, default=self._default, option=_OPTS)
        except TypeError as exc:
            if str(exc) == _BIG_INT:
                raise
            raise self._explain(obj, exc) from None

    def _make_default(self) -> Encoder:
        encoders = self._encoders
        encoder_for = self._encoder_for

        def default(obj: Any) -> Any:
            encode = encoders.get(type(obj))
            if encode is None:
                encode = encoder_for(type(obj))
                if encode is None:
                    raise TypeError(type(obj).__name__)
            return encode(obj)

        return default

    def _encoder_for(self, cls: type) -> Encoder | None:
        if issubclass(cls, BaseException):
            encode: Encoder = repr  # like LangGraph, errors are stored as text
        else:
            spec = self._spec_for(cls)
            if spec is None:
                return None
            encode = self._make_encoder(spec)
        self._encoders[cls] = encode
        return encode

    def _make_encoder(self, spec: TypeSpec) -> Encoder:
        default, code, dump = self._default, spec.code, spec.dump
        if spec.bare:
            return lambda obj: _EXT(
                code, _PACK(dump(obj), default=default, option=_OPTS)
            )
        head, tail = (spec.module, spec.name), spec.tail
        return lambda obj: _EXT(
            code, _PACK((*head, dump(obj), *tail), default=default, option=_OPTS)
        )

    def _spec_for(self, cls: type) -> TypeSpec | None:
        spec = self._local.by_type.get(cls) or GLOBAL.by_type.get(cls)
        if spec is not None:
            return spec
        provided = False
        for base in cls.__mro__:  # the type, or a base, may come from a provider
            provided |= _builtin_types.provide(GLOBAL, base.__module__)
        if provided and (spec := GLOBAL.by_type.get(cls)) is not None:
            return spec
        if is_registrable(cls):
            allowed = (cls.__module__, cls.__name__) in self._allowed_msgpack_modules
            if self.auto_register or allowed:
                spec = register_class(self._local, cls)
                if not allowed:
                    self._auto.add(cls)
                return spec
            return None
        return self._local.for_subclass(cls) or GLOBAL.for_subclass(cls)

    def _explain(self, obj: Any, exc: TypeError) -> UnserializableValueError:
        found = find_unserializable(obj, self._children)
        if found is None:
            return UnserializableValueError(type(obj).__name__, "", str(exc))
        path, value = found
        detail = _BIG_INT if isinstance(value, int) else ""
        return UnserializableValueError(type(value).__qualname__, path, detail)

    def _children(self, value: Any) -> Iterable[tuple[str, Any]] | None:
        if isinstance(value, BaseException):
            return ()
        spec = self._spec_for(type(value))
        if spec is None:
            return None
        return spec.fields(value) if spec.fields is not None else ()


@functools.cache
def _shared() -> JsonPlusSerializer:
    return JsonPlusSerializer()


def _msgpack_enc(data: Any) -> bytes:
    """LangGraph's private helper: ``data`` packed as ``dumps_typed`` packs it."""
    return _PACK(data, default=_shared()._default, option=_OPTS)


def __getattr__(name: str) -> Any:
    # LangGraph's module re-imports the store's ``Item``; loading the store
    # package only when that name is asked for keeps this module light.
    if name == "Item":
        from stategraph.store.base import Item

        return Item
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
