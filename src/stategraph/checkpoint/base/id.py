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


# Text and bytes of an id's groups, by the bits they show: the first two (the
# time's top 48 bits, which change every 410 us), the third ("6" and the
# time's low 12 bits) and the last two (variant and clock sequence, of a small
# step number, then the node). Formatting a number costs more than the rest of
# an id: these are made once (``_LOW`` fills as ticks come: 4096 entries).
_head: tuple[int, str, bytes] = (-1, "", b"")
_LOW: list[tuple[str, bytes] | None] = [None] * 0x1000
_TAIL: dict[int, tuple[str, bytes]] = {}
_MAX_TAILS = 1024  # the clock sequences kept: steps of a run, mostly small


def _draw_node() -> tuple[str, bytes]:
    # The node of this process's ids. Ids of one process differ by their
    # ticks already; a random node per process tells processes apart.
    raw = random.getrandbits(48).to_bytes(6, "big")
    return raw.hex(), raw


_node = _draw_node()


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock at the fork; the child
    # is another process, so it draws its own node.
    global _lock, _node
    _lock = threading.Lock()
    _node = _draw_node()
    _TAIL.clear()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _tail(clock_seq: int, keep: bool) -> tuple[str, bytes]:
    seq = 0x8000 | (clock_seq & 0x3FFF)
    tail = (f"{seq:04x}-{_node[0]}", seq.to_bytes(2, "big") + _node[1])
    if keep and len(_TAIL) < _MAX_TAILS:
        _TAIL[clock_seq] = tail
    return tail


def stamp(clock_seq: int, keep: bool = True) -> tuple[str, bytes, int]:
    """A new checkpoint id: its text, its 16 bytes and the Unix time in ns.

    ``uuid6_str(clock_seq)``, with the bytes task ids are hashed from and the
    time the checkpoint's timestamp is written from: this runs for every
    checkpoint, so nothing is formatted or parsed twice. ``keep``: cache
    the text of this clock sequence (a step number, usually).
    """
    global _last_ticks, _head
    now = time.time_ns()
    ticks = now // 100 + _GREGORIAN_OFFSET
    _lock.acquire()  # a comparison and a store: nothing to release on error
    if ticks <= _last_ticks:
        ticks = _last_ticks + 1
    _last_ticks = ticks
    _lock.release()
    high = ticks >> 12
    head = _head
    if head[0] != high:
        text = f"{(high >> 16) & 0xFFFFFFFF:08x}-{high & 0xFFFF:04x}-"
        head = _head = (high, text, high.to_bytes(6, "big"))
    low = _LOW[ticks & 0x0FFF]
    if low is None:
        bits = 0x6000 | (ticks & 0x0FFF)
        low = _LOW[ticks & 0x0FFF] = (f"{bits:04x}-", bits.to_bytes(2, "big"))
    tail = _TAIL.get(clock_seq)
    if tail is None:
        tail = _tail(clock_seq, keep)
    return f"{head[1]}{low[0]}{tail[0]}", head[2] + low[1] + tail[1], now


def uuid6_str(clock_seq: int | None = None) -> str:
    """``str(uuid6(clock_seq=clock_seq))`` without building a ``UUID`` object.

    A random ``clock_seq`` is drawn when none is given (and not cached).
    """
    if clock_seq is None:
        return stamp(random.getrandbits(14), False)[0]
    return stamp(clock_seq)[0]
