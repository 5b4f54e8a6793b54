"""Timeout helpers under LangGraph's private ``langgraph._internal._timeout`` path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from stategraph._policies import TimeoutPolicy, sync_timeout_unsupported

__all__ = ("coerce_timeout_policy", "sync_timeout_unsupported")


def coerce_timeout_policy(
    value: float | timedelta | TimeoutPolicy | Any | None,
) -> TimeoutPolicy | None:
    """Normalise a timeout (seconds, ``timedelta`` or policy) to a policy in seconds.

    A policy that is already normalised comes back as the same object.

    Raises:
        ValueError: When a limit is not greater than 0.
    """
    return TimeoutPolicy.coerce(value)
