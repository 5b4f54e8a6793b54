"""Decoding side of ``JsonPlusSerializer``: msgpack extension and legacy JSON payloads.

An extension payload names a type; the type is looked up in the registry
(never imported) and rebuilt by its registered loader. Errors raised while
decoding are parked so that the serializer can report them: ormsgpack
replaces exceptions raised inside an ext hook with a generic one.
``TypedLoader`` is the serializer's ``loads_typed`` half, with the lookup
(a type registered in the serializer or process-wide, provided by a known
module, or named in ``allowed_msgpack_modules``).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

import ormsgpack

from stategraph.checkpoint.serde import _builtin_types
from stategraph.checkpoint.serde._errors import DeserializationError, InvalidModuleError
from stategraph.checkpoint.serde._registry import (
    EXT_CONSTRUCTOR_SINGLE_ARG,
    EXT_DELTA_SNAPSHOT,
    EXT_METHOD_SINGLE_ARG,
    EXT_NUMPY_ARRAY,
    EXT_PYDANTIC_V1,
    EXT_PYDANTIC_V2,
    GLOBAL,
    TypeRegistry,
    TypeSpec,
    is_registrable,
    register_class,
)
from stategraph.checkpoint.serde.event_hooks import emit_serde_event

_UNPACK = ormsgpack.unpackb
UNPACK_OPTS = ormsgpack.OPT_NON_STR_KEYS

MAX_DEPTH = 200
"""Deepest nesting of extensions a payload may have."""

logger = logging.getLogger("stategraph.checkpoint.serde.jsonplus")
# ``(module, name)`` of the types already warned about (LangGraph's names):
# each warning is logged once per type and process.
warned_unregistered_types: set[tuple[str, str]] = set()
warned_blocked_types: set[tuple[str, str]] = set()


UNREGISTERED_MESSAGE = (
    "Deserializing unregistered type %s.%s: it loads only because this "
    "process wrote it. Register it (register_types or allowed_msgpack_modules) "
    "so that other processes can load it."
)
BLOCKED_MESSAGE = (
    "Blocked deserialization of %s.%s - not in allowed_msgpack_modules; "
    "loaded as plain data."
)


class Blocked:
    """What a lookup returns for a type to load as its raw payload (strict mode)."""


BLOCKED = Blocked()


def warn_once(seen: set[tuple[str, str]], key: tuple[str, str], message: str) -> None:
    """Log ``message`` (``%s`` placeholders: module, name) once per ``key``."""
    if key not in seen:
        seen.add(key)
        logger.warning(message, *key)


def report_blocked(key: tuple[str, str]) -> None:
    """Tell serde listeners (every time) and the log (once) a type was blocked."""
    emit_serde_event({"kind": "msgpack_blocked", "module": key[0], "name": key[1]})
    warn_once(warned_blocked_types, key, BLOCKED_MESSAGE)


def report_unregistered(key: tuple[str, str]) -> None:
    """Tell listeners and the log an unregistered type is loaded anyway."""
    emit_serde_event(
        {"kind": "msgpack_unregistered_allowed", "module": key[0], "name": key[1]}
    )
    warn_once(warned_unregistered_types, key, UNREGISTERED_MESSAGE)


# ormsgpack replaces an exception raised in an ext hook by a generic one; the
# hook parks its own error here so that ``loads_typed`` can raise it instead.
# The nesting depth of extensions being decoded is kept here too.
_failed = threading.local()


def descend() -> None:
    """Enter one more level of extension; refuse payloads nested too deeply."""
    depth = getattr(_failed, "depth", 0) + 1
    if depth > MAX_DEPTH:
        raise DeserializationError(f"extensions nested deeper than {MAX_DEPTH} levels")
    _failed.depth = depth


def ascend() -> None:
    """Leave the level entered by ``descend``."""
    _failed.depth -= 1


def park(exc: BaseException) -> None:
    """Keep the first error raised while decoding the current payload."""
    if getattr(_failed, "error", None) is None:
        _failed.error = exc


def unpark() -> BaseException | None:
    """Return and forget the parked error, if any."""
    exc: BaseException | None = getattr(_failed, "error", None)
    _failed.error = None
    return exc


def load_ext(
    code: int,
    data: bytes,
    hook: Callable[[int, bytes], Any],
    lookup: Callable[[str, str], TypeSpec | Blocked | None],
) -> Any:
    """Rebuild the value of one msgpack extension.

    Args:
        code: Extension code.
        data: Extension payload.
        hook: The ext hook, for nested extensions.
        lookup: Finds the spec of a ``(module, name)`` pair, or ``None``, or
            ``BLOCKED`` to return the payload's argument as it is.

    Raises:
        DeserializationError: Unknown code, malformed payload, unregistered
            type, or a loader that rejected the payload.
    """
    if code in (EXT_DELTA_SNAPSHOT, EXT_NUMPY_ARRAY):
        return _load_numpy(code, data, hook)
    if not EXT_CONSTRUCTOR_SINGLE_ARG <= code <= EXT_PYDANTIC_V2:
        raise DeserializationError(f"unknown msgpack extension code {code}")
    payload = _UNPACK(data, ext_hook=hook, option=UNPACK_OPTS)
    if not (
        isinstance(payload, list)
        and len(payload) >= 3
        and isinstance(payload[0], str)
        and isinstance(payload[1], str)
    ):
        raise DeserializationError(f"malformed payload for extension code {code}")
    module, name, arg = payload[0], payload[1], payload[2]
    qualified = f"{module}.{name}"
    found = lookup(module, name)
    if isinstance(found, Blocked):
        return arg  # plain data, as LangGraph's strict mode returns it
    spec = found
    if spec is None:
        emit_serde_event({"kind": "msgpack_blocked", "module": module, "name": name})
        raise DeserializationError(
            f"refusing to load type {qualified!r}: it is not registered "
            "(see stategraph.checkpoint.serde.register_types)"
        )
    if code != spec.code and not (
        code == EXT_PYDANTIC_V1 and spec.code == EXT_PYDANTIC_V2
    ):
        raise DeserializationError(
            f"extension code {code} does not fit type {qualified!r}"
        )
    if code == EXT_METHOD_SINGLE_ARG and tuple(payload[3:]) != spec.tail:
        raise _method_blocked(payload, module, name)
    try:
        return spec.load(arg)
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise DeserializationError(f"could not rebuild {qualified!r}: {exc}") from exc


def _load_numpy(code: int, data: bytes, hook: Callable[[int, bytes], Any]) -> Any:
    """A value of the numpy extension codes (the provider loads on first use)."""
    spec = GLOBAL.by_code.get(code)
    if spec is None and _builtin_types.provide(GLOBAL, "numpy"):
        spec = GLOBAL.by_code.get(code)
    if spec is None:
        raise DeserializationError(
            f"cannot load extension code {code}: numpy is missing"
        )
    return spec.load(_UNPACK(data, ext_hook=hook, option=UNPACK_OPTS))


def _method_blocked(payload: list[Any], module: str, name: str) -> DeserializationError:
    """Report a method payload naming a method its type does not allow."""
    method = str(payload[3]) if len(payload) > 3 else ""
    emit_serde_event(
        {
            "kind": "msgpack_method_blocked",
            "module": module,
            "name": name,
            "method": method,
        }
    )
    qualified = f"{module}.{name}"
    return DeserializationError(
        f"method {payload[3:]!r} of {qualified!r} is not allowed"
    )


def _known_constructor(path: Any) -> Any:
    """The class a legacy JSON constructor record may rebuild (a fixed list)."""
    from stategraph._types import Command, Interrupt, Send

    if not isinstance(path, list) or len(path) != 3 or path[1] != "types":
        return None
    if path[0] not in ("langgraph", "stategraph"):
        return None
    return {"Interrupt": Interrupt, "Send": Send, "Command": Command}.get(path[2])


def _refuse_constructors(obj: dict[str, Any]) -> Any:
    if obj.get("type") == "constructor" and "lc" in obj:
        cls = _known_constructor(obj.get("id"))
        kwargs = obj.get("kwargs", {})
        if cls is None:
            raise InvalidModuleError(
                f"refusing to revive JSON constructor {obj.get('id')!r}: "
                "not in the allow-list"
            )
        if not isinstance(kwargs, dict):
            raise DeserializationError(
                f"refusing to revive JSON constructor {obj.get('id')!r}"
            )
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise DeserializationError(
                f"could not rebuild {obj.get('id')!r}: {exc}"
            ) from exc
    return obj


def load_json(payload: bytes) -> Any:
    """Load a legacy ``"json"`` payload; constructor records are refused."""
    try:
        return json.loads(payload, object_hook=_refuse_constructors)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DeserializationError(f"corrupt json payload: {exc}") from exc


class TypedLoader:
    """The ``loads_typed`` of ``JsonPlusSerializer`` (see its docstring)."""

    _local: TypeRegistry
    _auto: set[type]
    _allowed_msgpack_modules: set[tuple[str, str]]
    _strict: bool
    _ext_hook: Callable[[int, bytes], Any]

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Deserialize a ``(type tag, bytes)`` pair made by ``dumps_typed``.

        Raises:
            DeserializationError: For unknown tags (including ``"pickle"``),
                corrupt data, or payloads naming types that are not registered.
        """
        tag, payload = data
        if tag == "msgpack":
            return self._unpack(payload)
        if tag == "null":
            return None
        if tag == "bytes":
            return payload
        if tag == "bytearray":
            return bytearray(payload)
        if tag == "json":
            return load_json(payload)
        if tag == "pickle":
            raise DeserializationError("refusing to load a 'pickle' payload")
        raise DeserializationError(f"unknown serialization type tag {tag!r}")

    def _unpack(self, payload: bytes) -> Any:
        try:
            return _UNPACK(payload, ext_hook=self._ext_hook, option=UNPACK_OPTS)
        except ValueError as exc:
            parked = unpark()
            if parked is not None:
                raise parked from None
            raise DeserializationError(f"corrupt msgpack payload: {exc}") from exc
        except RecursionError as exc:
            unpark()
            raise DeserializationError("msgpack payload is nested too deeply") from exc

    def _make_ext_hook(self) -> Callable[[int, bytes], Any]:
        lookup = self._lookup

        def hook(code: int, data: bytes) -> Any:
            try:
                descend()
                try:
                    return load_ext(code, data, hook, lookup)
                finally:
                    ascend()
            except Exception as exc:
                if not isinstance(exc, DeserializationError):
                    wrapped = DeserializationError(f"cannot load payload: {exc!r}")
                    wrapped.__cause__ = exc
                    exc = wrapped
                park(exc)
                raise

        return hook

    def _lookup(self, module: str, name: str) -> TypeSpec | Blocked | None:
        key = (module, name)
        spec: TypeSpec | Blocked | None = self._local.by_name.get(key)
        if isinstance(spec, TypeSpec) and spec.cls in self._auto:
            spec = GLOBAL.by_name.get(key) or self._unlisted(key, spec)
        spec = spec or GLOBAL.by_name.get(key)
        if spec is None and _builtin_types.provide(GLOBAL, module):
            spec = GLOBAL.by_name.get(key)
        if spec is None and key in self._allowed_msgpack_modules:
            # Allowed by name: resolve only in modules the program imported.
            cls = getattr(sys.modules.get(module), name, None)
            if isinstance(cls, type) and is_registrable(cls):
                spec = register_class(self._local, cls)
        if spec is None and self._strict:
            report_blocked(key)
            return BLOCKED
        return spec

    def _unlisted(self, key: tuple[str, str], spec: TypeSpec) -> TypeSpec | Blocked:
        """A type only this serializer's writes registered: warn, or block."""
        if key in self._allowed_msgpack_modules:
            return spec
        if self._strict:
            report_blocked(key)
            return BLOCKED
        report_unregistered(key)
        return spec
