"""The ``RunCreate`` body: validated and normalised into a run's ``kwargs``.

The API's defaults live here (``stream_mode=["values"]``,
``multitask_strategy="enqueue"``, ``if_not_exists="reject"``,
``on_disconnect="continue"``...). Nothing here touches storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from stategraph.server._http import ApiError, choice, field

#: Stream modes a run may ask for.
STREAM_MODES = frozenset(
    {
        "values",
        "updates",
        "messages",
        "messages-tuple",
        "custom",
        "debug",
        "tasks",
        "checkpoints",
        "events",
        "tools",
    }
)
MULTITASK = ("reject", "interrupt", "rollback", "enqueue")
DURABILITY = ("sync", "async", "exit")


def _stream_modes(body: Mapping[str, Any]) -> list[str]:
    raw = body.get("stream_mode")
    # Any empty value means the default, as LangGraph's server reads it: the JS
    # useStream hook sends [] when nothing asks for a mode and expects values.
    modes = ["values"] if not raw else [raw] if isinstance(raw, str) else raw
    if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
        raise ApiError(422, f"'stream_mode' must be a string or a list, got {raw!r}")
    for mode in modes:
        if mode not in STREAM_MODES:
            raise ApiError(
                422,
                f"Unknown stream_mode {mode!r}; expected one of {sorted(STREAM_MODES)}",
            )
    return list(dict.fromkeys(modes))


def _breakpoints(body: Mapping[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "*":
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ApiError(422, f"{name!r} must be '*' or a list of node names, got {value!r}")


def _checkpoint(body: Mapping[str, Any]) -> dict[str, Any] | None:
    checkpoint = field(body, "checkpoint", dict)
    checkpoint_id = field(body, "checkpoint_id", str)
    if checkpoint is None and checkpoint_id is None:
        return None
    merged = dict(checkpoint or {})
    if checkpoint_id is not None:
        merged["checkpoint_id"] = checkpoint_id
    merged.pop("thread_id", None)
    return merged


def _command(body: Mapping[str, Any]) -> dict[str, Any] | None:
    command = field(body, "command", dict)
    if command is None:
        return None
    unknown = set(command) - {"resume", "update", "goto", "graph"}
    if unknown:
        raise ApiError(422, f"Unknown command fields {sorted(unknown)}")
    return dict(command)


def check_webhook(url: Any) -> str | None:
    """``url`` if it can receive webhooks (http(s) URL or ``/path``), else a 422."""
    if url is None:
        return None
    if isinstance(url, str):
        if url.startswith("/"):
            return url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return url
    raise ApiError(422, f"'webhook' must be an http(s) URL or a /path, got {url!r}")


def parse_run_create(body: Mapping[str, Any], *, stateless: bool) -> dict[str, Any]:
    """Validate a ``RunCreate`` body into the run's stored ``kwargs``.

    Raises:
        ApiError: 422 on invalid fields, 400 on contradictory ones.
    """
    if not isinstance(body.get("assistant_id"), str):
        raise ApiError(422, "Field 'assistant_id' is required (a UUID or graph name)")
    config = dict(field(body, "config", dict, {}))
    context = field(body, "context", dict)
    if context and config.get("configurable"):
        raise ApiError(
            400,
            "Cannot specify both configurable and context. Prefer setting context"
            " alone.",
        )
    command = _command(body)
    if stateless and command and "resume" in command:
        raise ApiError(400, "Cannot resume a stateless run: it has no thread")
    after = field(body, "after_seconds", (int, float), 0)
    durability = choice(body, "durability", DURABILITY, "")
    if not durability and body.get("checkpoint_during") is not None:
        durability = "async" if body["checkpoint_during"] else "exit"
    return {
        "input": None if command else body.get("input"),
        "command": command,
        "config": config,
        "context": context,
        "metadata": dict(field(body, "metadata", dict, {})),
        "stream_mode": _stream_modes(body),
        "subgraphs": bool(field(body, "stream_subgraphs", bool, False)),
        "resumable": bool(field(body, "stream_resumable", bool, False)),
        "checkpoint": _checkpoint(body),
        "interrupt_before": _breakpoints(body, "interrupt_before"),
        "interrupt_after": _breakpoints(body, "interrupt_after"),
        "multitask_strategy": choice(body, "multitask_strategy", MULTITASK, "enqueue"),
        "if_not_exists": choice(body, "if_not_exists", ("reject", "create"), "reject"),
        "on_disconnect": choice(
            body, "on_disconnect", ("cancel", "continue"), "continue"
        ),
        "on_completion": choice(body, "on_completion", ("delete", "keep"), "delete"),
        "after_seconds": after,
        "durability": durability or None,
        "temporary": stateless,
        "webhook": check_webhook(body.get("webhook")),
    }


#: ``kwargs`` of a run as the API shows them; the rest are server options.
_PUBLIC_KWARGS = (
    "input",
    "command",
    "config",
    "context",
    "stream_mode",
    "interrupt_before",
    "interrupt_after",
    "webhook",
    "feedback_keys",
    "temporary",
    "subgraphs",
    "resumable",
    "durability",
    "checkpoint_during",
)


def public_run(run: dict[str, Any]) -> dict[str, Any]:
    """A run record as the API returns it."""
    kwargs = run["kwargs"]
    return {**run, "kwargs": {key: kwargs.get(key) for key in _PUBLIC_KWARGS}}
