"""``EncryptedSerializer``: encrypt serialized checkpoint values at rest.

The serializer wraps another one (by default the allow-listed
``JsonPlusSerializer``): values are serialized by the inner serializer, then
the bytes are encrypted by a cipher. The stored type tag is the inner tag
followed by ``+`` and the cipher's name, e.g. ``"msgpack+aes"``, in the same
format as LangGraph, so data encrypted by either library with the same key can
be read by the other. Tags without a cipher suffix are plain, unencrypted
values and go straight to the inner serializer, so a saver can start
encrypting a thread that already holds unencrypted checkpoints.

``EncryptedSerializer.from_pycryptodome_aes`` builds the usual AES cipher
(EAX mode by default, authenticated): tampered or truncated ciphertext and
wrong keys are rejected with ``DeserializationError`` (a ``ValueError``)
instead of yielding garbage. It needs ``pycryptodome``
(``pip install "stategraph[encryption]"``), imported only when that cipher is
built.
"""

from __future__ import annotations

import os
from typing import Any

from stategraph.checkpoint.serde._errors import DeserializationError
from stategraph.checkpoint.serde.base import CipherProtocol, SerializerProtocol
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = ("EncryptedSerializer",)

_KEY_ENV = "LANGGRAPH_AES_KEY"
_KEY_SIZES = (16, 24, 32)
# LangGraph's layout of an AES payload: 16-byte nonce, 16-byte tag, ciphertext.
_NONCE_SIZE = 16
_TAG_SIZE = 16
_AES_NAME = "aes"


class EncryptedSerializer(SerializerProtocol):
    """Serializer that encrypts the bytes written by another serializer.

    Args:
        cipher: Encrypts and decrypts the serialized bytes; its name is
            appended to the type tag (``"msgpack+aes"``).
        serde: The serializer of the values themselves; defaults to a new
            ``JsonPlusSerializer``.

    Attributes:
        cipher: The cipher in use.
        serde: The inner serializer.
    """

    def __init__(
        self, cipher: CipherProtocol, serde: SerializerProtocol | None = None
    ) -> None:
        self.cipher = cipher
        self.serde: SerializerProtocol = (
            serde if serde is not None else JsonPlusSerializer()
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(cipher={self.cipher!r}, serde={self.serde!r})"

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Serialize ``obj`` with the inner serializer, then encrypt the bytes.

        Args:
            obj: The value to store.

        Returns:
            ``(f"{inner type}+{cipher name}", ciphertext)``.
        """
        tag, plaintext = self.serde.dumps_typed(obj)
        cipher_name, ciphertext = self.cipher.encrypt(plaintext)
        return f"{tag}+{cipher_name}", ciphertext

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Decrypt and deserialize a pair made by ``dumps_typed``.

        A tag without ``+`` marks an unencrypted value, which is handed to the
        inner serializer as it is.

        Args:
            data: ``(type tag, bytes)`` as stored.

        Returns:
            The value.

        Raises:
            DeserializationError: When the cipher rejects the data (wrong key,
                tampered or truncated ciphertext, unknown cipher), or the inner
                serializer cannot load the decrypted bytes.
        """
        tag, payload = data
        if "+" not in tag:
            return self.serde.loads_typed(data)
        # The cipher name is the last part: an inner tag may itself carry a
        # cipher suffix when serializers are nested.
        inner_tag, cipher_name = tag.rsplit("+", 1)
        try:
            plaintext = self.cipher.decrypt(cipher_name, payload)
        except DeserializationError:
            raise
        except ValueError as exc:
            raise DeserializationError(
                f"cannot decrypt a {tag!r} value: {exc}"
            ) from exc
        return self.serde.loads_typed((inner_tag, plaintext))

    @classmethod
    def from_pycryptodome_aes(
        cls, serde: SerializerProtocol | None = None, **kwargs: Any
    ) -> EncryptedSerializer:
        """Create an ``EncryptedSerializer`` encrypting with AES (pycryptodome).

        The key is ``kwargs["key"]`` (16, 24 or 32 bytes), else the
        ``LANGGRAPH_AES_KEY`` environment variable (UTF-8 encoded). Other
        keyword arguments go to ``Crypto.Cipher.AES.new``; the mode defaults to
        EAX. The mode must be an authenticated one producing 16-byte nonces and
        tags (EAX, GCM), the layout LangGraph stores.

        Args:
            serde: The inner serializer; defaults to a new ``JsonPlusSerializer``.
            **kwargs: ``key``, and arguments of ``AES.new`` such as ``mode``.

        Returns:
            The serializer.

        Raises:
            ImportError: When pycryptodome is not installed.
            ValueError: When no key is given, the key has a wrong length, a
                fixed ``nonce`` is passed, or the mode does not fit the layout.
        """
        try:
            from Crypto.Cipher import AES
        except ImportError:
            raise ImportError(
                "pycryptodome is not installed: install it with "
                '`pip install "stategraph[encryption]"` (or `pip install '
                "pycryptodome`)"
            ) from None
        if "key" in kwargs:
            key = _as_key(kwargs.pop("key"), "the AES key")
        else:
            value = os.environ.get(_KEY_ENV)
            if value is None:
                raise ValueError(f"{_KEY_ENV} environment variable is not set.")
            key = _as_key(value, _KEY_ENV)
        if "nonce" in kwargs:
            raise ValueError(
                "a fixed nonce would be reused for every value; leave it out so "
                "each encryption draws a fresh one"
            )
        if kwargs.get("mode") is None:
            kwargs["mode"] = AES.MODE_EAX
        return cls(_AesCipher(AES, key, kwargs), serde)


def _as_key(value: Any, what: str) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    key = bytes(value)
    if len(key) not in _KEY_SIZES:
        raise ValueError(f"{what} must be 16, 24, or 32 bytes long.")
    return key


class _AesCipher(CipherProtocol):
    """AES cipher storing ``nonce + tag + ciphertext``, like LangGraph's."""

    def __init__(self, aes: Any, key: bytes, options: dict[str, Any]) -> None:
        self._aes = aes
        self._key = key
        self._options = dict(options)
        probe = aes.new(key, **self._options)
        if not hasattr(probe, "encrypt_and_digest"):
            raise ValueError("the AES mode must be an authenticated one (EAX, GCM)")
        _, tag = probe.encrypt_and_digest(b"")
        if len(probe.nonce) != _NONCE_SIZE or len(tag) != _TAG_SIZE:
            raise ValueError(
                f"the AES mode must use {_NONCE_SIZE}-byte nonces and "
                f"{_TAG_SIZE}-byte tags, the layout of stored values"
            )

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(mode={self._options.get('mode')!r})"

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        """Encrypt with a fresh nonce; return ``("aes", nonce + tag + ciphertext)``.

        Args:
            plaintext: The serialized value.
        """
        cipher = self._aes.new(self._key, **self._options)
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        return _AES_NAME, bytes(cipher.nonce) + tag + ciphertext

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        """Check the tag and decrypt a payload made by ``encrypt``.

        Args:
            ciphername: Must be ``"aes"``.
            ciphertext: ``nonce + tag + ciphertext``.

        Raises:
            ValueError: For another cipher name, a payload too short to hold a
                nonce and a tag, or a failed authentication.
        """
        if ciphername != _AES_NAME:
            raise ValueError(f"unsupported cipher {ciphername!r}")
        head = _NONCE_SIZE + _TAG_SIZE
        if len(ciphertext) < head:
            raise ValueError(
                f"truncated ciphertext: {len(ciphertext)} bytes, fewer than the "
                f"{head} of the nonce and tag"
            )
        nonce, tag = ciphertext[:_NONCE_SIZE], ciphertext[_NONCE_SIZE:head]
        cipher = self._aes.new(self._key, nonce=nonce, **self._options)
        try:
            plaintext: bytes = cipher.decrypt_and_verify(ciphertext[head:], tag)
        except ValueError:
            raise ValueError(
                "authentication failed: wrong key, or the data was tampered "
                "with or truncated"
            ) from None
        return plaintext
