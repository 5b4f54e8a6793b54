"""Building blocks of the ``/openapi.json`` schemas (see ``_openapi_schemas``).

Primitive schemas, the helpers that compose them, the field groups several
request and response objects share, and the objects every route refers to
(errors, config, checkpoints, commands).
"""

from __future__ import annotations

from typing import Any

_OBJ: dict[str, Any] = {"type": "object", "additionalProperties": True}
_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_ANY: dict[str, Any] = {}
_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
_NAMES: dict[str, Any] = {"type": "array", "items": _STR}


def ref(name: str) -> dict[str, Any]:
    """A ``$ref`` to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _object(
    title: str, props: dict[str, Any], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "title": title, "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


_PAGE = {"limit": {**_INT, "default": 10}, "offset": {**_INT, "default": 0}}
_SORT_ORDER = _enum("asc", "desc")
_SELECT = _NAMES
_BREAKPOINTS = {"anyOf": [{"const": "*"}, _NAMES]}
_STREAM_MODES = _enum(
    "values",
    "updates",
    "messages",
    "messages-tuple",
    "custom",
    "events",
    "debug",
    "tasks",
    "checkpoints",
    "tools",
)
_MULTITASK = _enum("reject", "interrupt", "rollback", "enqueue")
_TTL = _object(
    "ThreadTTL",
    {"ttl": {"type": "number"}, "strategy": _enum("delete", "keep_latest")},
)

_ASSISTANT_FIELDS = {
    "graph_id": _STR,
    "config": ref("Config"),
    "context": _OBJ,
    "metadata": _OBJ,
    "name": _STR,
    "description": _nullable(_STR),
}

_RUN_FIELDS: dict[str, Any] = {
    "assistant_id": {"type": "string", "description": "Assistant id or graph name."},
    "input": _ANY,
    "command": ref("Command"),
    "config": ref("Config"),
    "context": _OBJ,
    "metadata": _OBJ,
    "stream_mode": {"anyOf": [_STREAM_MODES, _array(_STREAM_MODES)]},
    "stream_subgraphs": _BOOL,
    "stream_resumable": _BOOL,
    "checkpoint": ref("CheckpointConfig"),
    "checkpoint_id": _STR,
    "interrupt_before": _BREAKPOINTS,
    "interrupt_after": _BREAKPOINTS,
    "multitask_strategy": _MULTITASK,
    "if_not_exists": _enum("reject", "create"),
    "on_disconnect": _enum("cancel", "continue"),
    "after_seconds": {"type": "number"},
    "webhook": _STR,
    "durability": _enum("sync", "async", "exit"),
    "checkpoint_during": _BOOL,
    "feedback_keys": _NAMES,
}

_CRON_FIELDS: dict[str, Any] = {
    "assistant_id": _STR,
    "schedule": {"type": "string", "description": "A 5-field cron expression."},
    "timezone": _STR,
    "end_time": _nullable(_TIME),
    "input": _ANY,
    "config": ref("Config"),
    "context": _OBJ,
    "metadata": _OBJ,
    "webhook": _STR,
    "interrupt_before": _BREAKPOINTS,
    "interrupt_after": _BREAKPOINTS,
    "on_run_completed": _enum("delete", "keep"),
    "enabled": _BOOL,
    "stream_mode": {"anyOf": [_STREAM_MODES, _array(_STREAM_MODES)]},
    "stream_subgraphs": _BOOL,
    "stream_resumable": _BOOL,
    "durability": _enum("sync", "async", "exit"),
    "multitask_strategy": _MULTITASK,
}

_STATE_FIELDS: dict[str, Any] = {
    "values": _ANY,
    "next": _NAMES,
    "tasks": _array(ref("ThreadTask")),
    "checkpoint": _nullable(ref("CheckpointConfig")),
    "parent_checkpoint": _nullable(ref("CheckpointConfig")),
    "metadata": _nullable(_OBJ),
    "created_at": _nullable(_STR),
    "interrupts": _array(ref("Interrupt")),
}

BASE_SCHEMAS: dict[str, Any] = {
    "ErrorResponse": _object("ErrorResponse", {"detail": _STR}, ("detail",)),
    "Ok": _object("Ok", {"ok": _BOOL}, ("ok",)),
    "Info": _object(
        "Info",
        {
            "version": _STR,
            "server": _STR,
            "python_version": _STR,
            "graphs": _NAMES,
            "flags": _OBJ,
        },
    ),
    "Config": {
        **_object(
            "Config",
            {
                "tags": _NAMES,
                "recursion_limit": _INT,
                "configurable": _OBJ,
                "metadata": _OBJ,
            },
        ),
        "additionalProperties": True,
    },
    "CheckpointConfig": _object(
        "CheckpointConfig",
        {
            "thread_id": _STR,
            "checkpoint_ns": _STR,
            "checkpoint_id": _STR,
            "checkpoint_map": _OBJ,
        },
    ),
    "Interrupt": _object(
        "Interrupt", {"id": _STR, "value": _ANY, "response_schema": _ANY}
    ),
    "Send": _object("Send", {"node": _STR, "input": _ANY}, ("node",)),
    "Command": _object(
        "Command",
        {
            "resume": _ANY,
            "update": {"anyOf": [_OBJ, _array(_array(_ANY)), {"type": "null"}]},
            "goto": {
                "anyOf": [
                    _STR,
                    ref("Send"),
                    _array({"anyOf": [_STR, ref("Send")]}),
                    {"type": "null"},
                ]
            },
        },
    ),
}
