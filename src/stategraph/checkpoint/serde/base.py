"""Serializer protocols used by checkpoint savers and caches.

A saver only talks to its serializer through ``dumps_typed``/``loads_typed``:
the first turns a value into a ``(type tag, bytes)`` pair that the saver
stores as is, the second turns such a pair back into a value.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = (
    "CipherProtocol",
    "SerializerCompat",
    "SerializerProtocol",
    "UntypedSerializerProtocol",
    "maybe_add_typed_methods",
)


class UntypedSerializerProtocol(Protocol):
    """A serializer with plain ``dumps``/``loads`` (no type tag)."""

    def dumps(self, obj: Any) -> bytes:
        """Serialize ``obj`` to bytes."""
        ...

    def loads(self, data: bytes) -> Any:
        """Deserialize bytes made by ``dumps``."""
        ...


@runtime_checkable
class SerializerProtocol(Protocol):
    """A serializer that tags its output with a type name.

    ``dumps_typed(obj)`` returns ``(type, data)``; ``loads_typed((type, data))``
    returns the value back. Savers store both parts and hand them back together.
    """

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Serialize ``obj`` to a ``(type tag, bytes)`` pair."""
        ...

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Deserialize a pair made by ``dumps_typed``."""
        ...


class SerializerCompat(SerializerProtocol):
    """Adapter giving an untyped serializer the typed methods.

    Args:
        serde: The serializer with ``dumps``/``loads`` to wrap.
    """

    def __init__(self, serde: UntypedSerializerProtocol) -> None:
        self.serde = serde

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Serialize with the wrapped serializer, tagged with the type name."""
        return type(obj).__name__, self.serde.dumps(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Deserialize the bytes with the wrapped serializer; the tag is unused."""
        return self.serde.loads(data[1])


def maybe_add_typed_methods(
    serde: SerializerProtocol | UntypedSerializerProtocol,
) -> SerializerProtocol:
    """Return ``serde`` itself if it is typed, else wrap it in ``SerializerCompat``.

    Args:
        serde: A typed or untyped serializer.

    Returns:
        A serializer with ``dumps_typed``/``loads_typed``.
    """
    if isinstance(serde, SerializerProtocol):
        return serde
    return SerializerCompat(serde)


class CipherProtocol(Protocol):
    """Encrypts and decrypts the bytes of serialized values."""

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        """Encrypt ``plaintext``; return ``(cipher name, ciphertext)``."""
        ...

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        """Decrypt ``ciphertext`` made by the cipher named ``ciphername``."""
        ...
