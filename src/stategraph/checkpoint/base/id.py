"""Time-ordered UUIDs (RFC 9562 version 6) used as checkpoint ids.

Version 6 puts the timestamp in the most significant bits, so the canonical
string forms of ids made by one process sort in creation order. The generator
never returns the same timestamp twice: when the clock does not advance (or
goes back) it steps one 100-ns tick past the last value it handed out.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid

__all__ = ("UUID", "uuid6")

# 100-ns ticks between the Gregorian epoch (1582-10-15) and the Unix epoch.
_GREGORIAN_OFFSET = 0x01B21DD213814000
_VERSION_6 = 6 << 76
_VARIANT_RFC = 0x8000 << 48
_VARIANT_MASK = 0xC000 << 48
_VERSION_MASK = 0xF000 << 64

_lock = threading.Lock()
_last_ticks = 0


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock at the fork.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)


class UUID(uuid.UUID):
    """A ``uuid.UUID`` that also decodes the timestamp of version 6 ids."""

    __slots__ = ()

    @property
    def time(self) -> int:
        """The 60-bit timestamp, in 100-ns ticks since 1582-10-15."""
        if self.version == 6:
            value = self.int
            high = value >> 80  # time_high (32 bits) + time_mid (16 bits)
            low = (value >> 64) & 0x0FFF
            return (high << 12) | low
        return super().time


def _next_ticks() -> int:
    global _last_ticks
    ticks = time.time_ns() // 100 + _GREGORIAN_OFFSET
    with _lock:
        if ticks <= _last_ticks:
            ticks = _last_ticks + 1
        _last_ticks = ticks
    return ticks


def uuid6(node: int | None = None, clock_seq: int | None = None) -> UUID:
    """Make a version 6 UUID that sorts after every id this process made before.

    Args:
        node: 48-bit node value; random when ``None``.
        clock_seq: Sequence number stored in 14 bits (negative numbers wrap, so
            ``-1`` gives ``0x3FFF``); random when ``None``.

    Returns:
        The new UUID. ``str()`` of successive ids compares in creation order.
    """
    ticks = _next_ticks()
    if clock_seq is None:
        clock_seq = random.getrandbits(14)
    if node is None:
        node = random.getrandbits(48)
    value = ((ticks >> 12) & 0xFFFFFFFFFFFF) << 80
    value |= (ticks & 0x0FFF) << 64
    value |= (clock_seq & 0x3FFF) << 48
    value |= node & 0xFFFFFFFFFFFF
    value = (value & ~_VARIANT_MASK) | _VARIANT_RFC
    value = (value & ~_VERSION_MASK) | _VERSION_6
    return UUID(int=value)


# Text of an id's groups, by the bits they show: the first two (the time's
# top 48 bits, which change every 410 us), the third ("6" and the time's low
# 12 bits) and the fourth (variant and clock sequence, of a small step
# number). Formatting a number costs more than the rest of an id: these are
# made once (``_LOW`` fills as ticks come: 4096 entries at most).
_head: tuple[int, str] = (-1, "")
_LOW: list[str | None] = [None] * 0x1000
_SEQ: dict[int, str] = {}
_MAX_SEQ = 1024  # the clock sequences kept: steps of a run, mostly small


def uuid6_str(clock_seq: int | None = None) -> str:
    """``str(uuid6(clock_seq=clock_seq))`` without building a ``UUID`` object.

    The fields are formatted one by one, from cached text where they repeat:
    this runs for every checkpoint.
    """
    global _last_ticks, _head
    # _next_ticks(), inlined: this runs for every checkpoint.
    ticks = time.time_ns() // 100 + _GREGORIAN_OFFSET
    _lock.acquire()
    try:
        if ticks <= _last_ticks:
            ticks = _last_ticks + 1
        _last_ticks = ticks
    finally:
        _lock.release()
    high = ticks >> 12
    head = _head
    if head[0] != high:
        head = _head = (high, f"{(high >> 16) & 0xFFFFFFFF:08x}-{high & 0xFFFF:04x}-")
    low = _LOW[ticks & 0x0FFF]
    if low is None:
        low = _LOW[ticks & 0x0FFF] = f"{0x6000 | (ticks & 0x0FFF):04x}-"
    seq = None if clock_seq is None else _SEQ.get(clock_seq)
    if seq is None:
        if clock_seq is None:
            clock_seq = random.getrandbits(14)
        elif len(_SEQ) < _MAX_SEQ:
            _SEQ[clock_seq] = f"{0x8000 | (clock_seq & 0x3FFF):04x}-"
        seq = f"{0x8000 | (clock_seq & 0x3FFF):04x}-"
    # The node's 12 hex digits: cheaper from bytes than by a format spec.
    return f"{head[1]}{low}{seq}{random.getrandbits(48).to_bytes(6, 'big').hex()}"
