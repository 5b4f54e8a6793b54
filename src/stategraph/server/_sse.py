"""The ``text/event-stream`` encoder: frames as LangGraph's server writes them.

A frame is ``event: <name>``, ``data: <json>`` and, for resumable runs,
``id: <id>``, each line ending in CRLF, then a blank line. This module only
formats bytes; deciding which frames to send belongs to the run streams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from starlette.responses import StreamingResponse

#: A comment frame; clients skip it, proxies see traffic and keep the socket.
HEARTBEAT = b": heartbeat\r\n\r\n"

#: Seconds of silence after which a heartbeat is sent.
HEARTBEAT_SECONDS = 5.0


def _clean(text: str) -> str:
    # A CR or LF inside a field would end the line early and split the frame.
    return text.replace("\r", "").replace("\n", "")


def encode_frame(event: str, data: bytes, event_id: str | None = None) -> bytes:
    """One SSE frame.

    Args:
        event: The event name (``values``, ``updates|node:task``...).
        data: The JSON payload, already encoded on one line.
        event_id: The frame id, sent only for resumable streams.

    Returns:
        The frame's bytes, blank line included.
    """
    parts = [b"event: ", _clean(event).encode(), b"\r\ndata: ", data, b"\r\n"]
    if event_id is not None:
        parts += [b"id: ", _clean(event_id).encode(), b"\r\n"]
    parts.append(b"\r\n")
    return b"".join(parts)


def event_stream_response(
    body: AsyncIterator[bytes], headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    """A streaming response with the event-stream content type and no caching."""
    merged = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    merged.update(headers or {})
    return StreamingResponse(body, media_type="text/event-stream", headers=merged)
