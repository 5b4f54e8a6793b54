"""Wrap a ``version="v2"`` stream part in the v3 ``ProtocolEvent`` envelope."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from stategraph.stream._types import ProtocolEvent, _ProtocolEventParams

__all__ = ("convert_to_protocol_event",)


def convert_to_protocol_event(part: Mapping[str, Any]) -> ProtocolEvent:
    """Convert a v2 stream part (``type``, ``ns``, ``data``) to a protocol event.

    Args:
        part: The part; ``interrupts`` is carried over when present, as it is
            on ``values`` parts.

    Returns:
        The event, stamped with the current wall-clock time in milliseconds.
    """
    params: _ProtocolEventParams = {
        "namespace": list(part["ns"]),
        "timestamp": int(time.time() * 1000),
        "data": part["data"],
    }
    if "interrupts" in part:
        params["interrupts"] = part["interrupts"]
    return {"type": "event", "method": part["type"], "params": params}
