"""Reading half of ``JsonPlusSerializer``: ``loads_typed`` and the type lookup.

A payload is unpacked by ormsgpack, whose extension hook rebuilds each
extension value through ``_decode.load_ext`` with the type the lookup allows:
one registered in the serializer or process-wide, provided by a known module,
or named in ``allowed_msgpack_modules``. The mixin holds no state of its own;
it reads the registries ``JsonPlusSerializer`` sets up.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import ormsgpack

from stategraph.checkpoint.serde import _builtin_types
from stategraph.checkpoint.serde._decode import (
    BLOCKED,
    UNPACK_OPTS,
    Blocked,
    ascend,
    descend,
    load_ext,
    load_json,
    park,
    report_blocked,
    report_unregistered,
    unpark,
)
from stategraph.checkpoint.serde._errors import DeserializationError
from stategraph.checkpoint.serde._registry import (
    GLOBAL,
    TypeRegistry,
    TypeSpec,
    is_registrable,
    register_class,
)

_UNPACK = ormsgpack.unpackb


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
