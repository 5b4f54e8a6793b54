"""``StreamChannel``, the queue behind each v3 projection (LangGraph's path)."""

from __future__ import annotations

from stategraph.stream._channel import StreamChannel as StreamChannel, T as T

__all__ = ("StreamChannel",)
