"""Channel values stored as byte splices of the channel's previous version.

A list channel such as ``add_messages`` grows by a few items per step, and a
saver that writes every new version in full stores the whole history once per
step (quadratic growth). The SQLite and Postgres savers instead store a new
version as a *splice* of an earlier stored version of the same channel when
that is much smaller: ``new = head + base[start:start + keep] + tail``, where
``head`` is the serialized list's own msgpack array header and ``keep`` is the
length of the serialized items both versions share as a prefix. Items are
compared by their serialized bytes, so appends, replacements (``add_messages``
by id) and removals all round-trip exactly: the value read back is the
deserialization of the very bytes a full write would have stored.

A spliced row has the type ``sgd:<base version>:<type of the full value>``;
``materialize`` rebuilds the full bytes. Invariants the savers keep:

- a base's version is lower than the version spliced onto it, so chains end;
- a full snapshot is stored at least every ``every`` versions of a channel
  (``SPLICE_EVERY``), so reading a value reads at most that many rows;
- a splice is only written when its base row exists (checked in the same
  statement), and garbage collection keeps every base a kept row refers to.

Bases come from an in-process cache of the last value each saver wrote per
thread, namespace and channel; with a cold cache (a new process, another
writer) a full value is written, so the cache never affects correctness.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from stategraph.checkpoint import _fork

__all__ = (
    "PREFIX",
    "SPLICE_EVERY",
    "Splice",
    "SpliceCache",
    "base_of",
    "common_prefix",
    "diff",
    "is_spliced",
    "materialize",
    "splice_payload",
)

PREFIX = "sgd:"
"""Type prefix of a spliced row: ``sgd:<base version>:<inner type>``."""
SPLICE_EVERY = 16
"""Default longest chain: a full value at least every this many versions."""
MIN_SIZE = 512
"""Values smaller than this (bytes) are always stored in full."""
_CACHE_SIZE = 128
_CACHE_BYTES = 64 * 1024 * 1024
_HEADER = struct.Struct("<III")


def is_spliced(tag: str) -> bool:
    """Say whether a stored type names a spliced row."""
    return tag.startswith(PREFIX)


def base_of(tag: str) -> str:
    """The base version of a spliced row's type."""
    return tag[len(PREFIX) :].split(":", 1)[0]


def _array_header(data: bytes) -> int:
    """Length of the msgpack array header ``data`` starts with (0: not an array)."""
    first = data[0] if data else 0
    if 0x90 <= first <= 0x9F:
        return 1
    return {0xDC: 3, 0xDD: 5}.get(first, 0)


def common_prefix(base: bytes, start: int, new: bytes, at: int) -> int:
    """Length of the longest common prefix of ``base[start:]`` and ``new[at:]``."""
    view = memoryview(base)
    top = min(len(base) - start, len(new) - at)
    if new.startswith(view[start : start + top], at):
        return top
    low, high = 0, top  # low matches, high does not
    while high - low > 1:
        mid = (low + high) // 2
        if new.startswith(view[start : start + mid], at):
            low = mid
        else:
            high = mid
    return low


def diff(base: bytes, new: bytes) -> bytes:
    """The splice payload turning ``base`` into ``new``."""
    head, start = _array_header(new), _array_header(base)
    if not head or not start:
        head = start = 0
    keep = common_prefix(base, start, new, head)
    return splice_payload(new[:head], start, keep, new[head + keep :])


def splice_payload(head: bytes, start: int, keep: int, rest: bytes) -> bytes:
    """The payload making ``head + base[start:start + keep] + rest`` of a base."""
    return _HEADER.pack(len(head), start, keep) + head + rest


def apply(base: bytes, payload: bytes) -> bytes:
    """The bytes a splice payload makes of ``base``.

    Raises:
        ValueError: When the payload is truncated or does not fit ``base``.
    """
    if len(payload) < _HEADER.size:
        raise ValueError("truncated splice")
    head, start, keep = _HEADER.unpack_from(payload)
    if len(payload) < _HEADER.size + head or start + keep > len(base):
        raise ValueError("splice does not fit its base")
    body = _HEADER.size + head
    return payload[_HEADER.size : body] + base[start : start + keep] + payload[body:]


def materialize(
    tag: str, blob: bytes, lookup: Callable[[str], tuple[str, bytes | None] | None]
) -> tuple[str, bytes]:
    """Rebuild the full ``(type, bytes)`` of a stored row.

    Args:
        tag: The row's type (returned as is when it is not spliced).
        blob: The row's bytes.
        lookup: Returns the stored ``(type, bytes)`` of a base version of the
            same channel, or ``None`` when it is missing.

    Raises:
        ValueError: When a base is missing or a splice is corrupt.
    """
    chain: list[tuple[str, bytes]] = []
    while is_spliced(tag):
        if len(chain) > 4096:
            raise ValueError("splice chain does not end")
        chain.append((tag, blob))
        base = lookup(base_of(tag))
        if base is None:
            raise ValueError(f"base version {base_of(tag)!r} of a splice is missing")
        tag, blob = base[0], base[1] or b""
    for spliced, payload in reversed(chain):
        blob = apply(blob, payload)
        tag = spliced[len(PREFIX) :].split(":", 1)[1]
    return tag, blob


@dataclass(frozen=True)
class Splice:
    """A value to store: its full form, and a splice of it when worthwhile.

    Attributes:
        key: ``(thread_id, checkpoint_ns, channel)`` of the value.
        version: Its channel version.
        tag: Type of the full value.
        data: Bytes of the full value.
        depth: Splices between this value and the full value its chain ends in.
        base: Version of the base, or ``None`` to store the value in full.
        spliced_tag: Type of the spliced row (``sgd:<base>:<tag>``).
        payload: The splice payload.
    """

    key: Hashable
    version: str
    tag: str
    data: bytes
    depth: int = 0
    base: str | None = None
    spliced_tag: str | None = None
    payload: bytes | None = None


class SpliceCache:
    """The last value a saver wrote per thread, namespace and channel.

    Args:
        every: Longest chain (``1`` or less: never splice).
    """

    def __init__(self, every: int = SPLICE_EVERY) -> None:
        self.every = every
        self._entries: OrderedDict[Hashable, Splice] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        _fork.track(self)

    def _after_fork_in_child(self) -> None:
        # A thread of the parent may have held the lock at the fork.
        self._lock = _fork.renew(self._lock)

    def encode(self, key: Hashable, version: object, tag: str, data: bytes) -> Splice:
        """Plan how to store a new value: spliced onto the cached one, or in full."""
        full = Splice(key, str(version), tag, data)
        if self.every <= 1 or len(data) < MIN_SIZE or not isinstance(version, str):
            return full
        with self._lock:
            last = self._entries.get(key)
        if (
            last is None
            or last.tag != tag
            or ":" in tag
            or ":" in last.version
            or not last.version < version
            or last.depth + 1 >= self.every
        ):
            return full
        payload = diff(last.data, data)
        if len(payload) * 2 > len(data):
            return full
        spliced_tag = f"{PREFIX}{last.version}:{tag}"
        depth = last.depth + 1
        return Splice(
            key, version, tag, data, depth, last.version, spliced_tag, payload
        )

    def commit(self, stored: list[Splice]) -> None:
        """Remember values once the transaction that wrote them committed.

        The least recently written go first past ``_CACHE_SIZE`` values or
        ``_CACHE_BYTES`` bytes (their channels' next values are stored full).
        """
        with self._lock:
            for splice in stored:
                old = self._entries.pop(splice.key, None)
                self._bytes += len(splice.data) - (len(old.data) if old else 0)
                self._entries[splice.key] = splice
            while self._entries and (
                len(self._entries) > _CACHE_SIZE or self._bytes > _CACHE_BYTES
            ):
                self._bytes -= len(self._entries.popitem(last=False)[1].data)
