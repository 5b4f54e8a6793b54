"""JSON Schemas of the LangGraph Server API objects, for ``/openapi.json``.

Shapes follow the LangGraph Server API (assistants, threads, runs, crons,
store); they describe the wire format only and are never used to validate
requests (the route handlers do that).
"""

from __future__ import annotations

from typing import Any

__all__ = ("SCHEMAS", "ref")

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

SCHEMAS: dict[str, Any] = {
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
    "Assistant": _object(
        "Assistant",
        {
            "assistant_id": _UUID,
            **_ASSISTANT_FIELDS,
            "created_at": _TIME,
            "updated_at": _TIME,
            "version": _INT,
        },
        ("assistant_id", "graph_id", "config", "created_at", "metadata", "version"),
    ),
    "AssistantCreate": _object(
        "AssistantCreate",
        {
            "assistant_id": _UUID,
            **_ASSISTANT_FIELDS,
            "if_exists": _enum("raise", "do_nothing"),
        },
        ("graph_id",),
    ),
    "AssistantPatch": _object("AssistantPatch", dict(_ASSISTANT_FIELDS)),
    "AssistantSearchRequest": _object(
        "AssistantSearchRequest",
        {
            "metadata": _OBJ,
            "graph_id": _STR,
            "name": _STR,
            **_PAGE,
            "sort_by": _enum(
                "assistant_id", "graph_id", "name", "created_at", "updated_at"
            ),
            "sort_order": _SORT_ORDER,
            "select": _SELECT,
        },
    ),
    "AssistantCountRequest": _object(
        "AssistantCountRequest", {"metadata": _OBJ, "graph_id": _STR, "name": _STR}
    ),
    "AssistantVersionsSearchRequest": _object(
        "AssistantVersionsSearchRequest", {"metadata": _OBJ, **_PAGE}
    ),
    "AssistantVersionChange": _object(
        "AssistantVersionChange", {"version": _INT}, ("version",)
    ),
    "GraphSchema": _object(
        "GraphSchema",
        {
            "graph_id": _STR,
            "input_schema": _nullable(_OBJ),
            "output_schema": _nullable(_OBJ),
            "state_schema": _nullable(_OBJ),
            "config_schema": _nullable(_OBJ),
            "context_schema": _nullable(_OBJ),
        },
    ),
    "Subgraphs": {
        "type": "object",
        "title": "Subgraphs",
        "additionalProperties": ref("GraphSchema"),
    },
    "DrawableGraph": _object(
        "DrawableGraph",
        {"nodes": _array(_OBJ), "edges": _array(_OBJ)},
        ("nodes", "edges"),
    ),
    "Thread": _object(
        "Thread",
        {
            "thread_id": _UUID,
            "created_at": _TIME,
            "updated_at": _TIME,
            "state_updated_at": _TIME,
            "metadata": _OBJ,
            "config": _OBJ,
            "status": _enum("idle", "busy", "interrupted", "error"),
            "values": _nullable(_OBJ),
            "interrupts": {
                "type": "object",
                "additionalProperties": _array(ref("Interrupt")),
            },
            "error": _ANY,
            "ttl": _nullable(
                _object(
                    "ThreadTTLInfo",
                    {
                        "strategy": _enum("delete", "keep_latest"),
                        "ttl_minutes": {"type": "number"},
                        "expires_at": _TIME,
                    },
                )
            ),
            "extracted": _OBJ,
        },
        ("thread_id", "created_at", "updated_at", "metadata", "status"),
    ),
    "ThreadCreate": _object(
        "ThreadCreate",
        {
            "thread_id": _UUID,
            "metadata": _OBJ,
            "if_exists": _enum("raise", "do_nothing"),
            "ttl": _TTL,
            "supersteps": _array(_object("Superstep", {"updates": _array(_OBJ)})),
        },
    ),
    "ThreadPatch": _object("ThreadPatch", {"metadata": _OBJ, "ttl": _TTL}),
    "ThreadSearchRequest": _object(
        "ThreadSearchRequest",
        {
            "metadata": _OBJ,
            "values": _OBJ,
            "ids": _array(_STR),
            "status": _enum("idle", "busy", "interrupted", "error"),
            **_PAGE,
            "sort_by": _enum(
                "thread_id", "status", "created_at", "updated_at", "state_updated_at"
            ),
            "sort_order": _SORT_ORDER,
            "select": _SELECT,
            "extract": {"type": "object", "additionalProperties": _STR},
        },
    ),
    "ThreadCountRequest": _object(
        "ThreadCountRequest", {"metadata": _OBJ, "values": _OBJ, "status": _STR}
    ),
    "ThreadPruneRequest": _object(
        "ThreadPruneRequest",
        {"thread_ids": _array(_STR), "strategy": _enum("delete", "keep_latest")},
        ("thread_ids",),
    ),
    "ThreadPruneResponse": _object(
        "ThreadPruneResponse", {"pruned_count": _INT}, ("pruned_count",)
    ),
    "ThreadTask": _object(
        "ThreadTask",
        {
            "id": _STR,
            "name": _STR,
            "path": _array(_ANY),
            "error": _nullable(_STR),
            "interrupts": _array(ref("Interrupt")),
            "checkpoint": _nullable(ref("CheckpointConfig")),
            "state": _nullable(ref("ThreadState")),
            "result": _ANY,
        },
        ("id", "name"),
    ),
    "ThreadState": _object(
        "ThreadState", _STATE_FIELDS, ("values", "next", "tasks", "checkpoint")
    ),
    "ThreadStateUpdate": _object(
        "ThreadStateUpdate",
        {
            "values": {"anyOf": [_OBJ, _array(_OBJ), {"type": "null"}]},
            "as_node": _STR,
            "checkpoint": ref("CheckpointConfig"),
            "checkpoint_id": _STR,
        },
    ),
    "ThreadStateUpdateResponse": _object(
        "ThreadStateUpdateResponse",
        {
            "checkpoint": ref("CheckpointConfig"),
            "configurable": _OBJ,
            "checkpoint_id": _STR,
        },
        ("checkpoint",),
    ),
    "ThreadStateCheckpointRequest": _object(
        "ThreadStateCheckpointRequest",
        {"checkpoint": ref("CheckpointConfig"), "subgraphs": _BOOL},
        ("checkpoint",),
    ),
    "ThreadStateSearch": _object(
        "ThreadStateSearch",
        {
            "limit": {**_INT, "default": 1},
            "before": {"anyOf": [_STR, ref("CheckpointConfig")]},
            "metadata": _OBJ,
            "checkpoint": ref("CheckpointConfig"),
        },
    ),
    "Run": _object(
        "Run",
        {
            "run_id": _UUID,
            "thread_id": _UUID,
            "assistant_id": _UUID,
            "created_at": _TIME,
            "updated_at": _TIME,
            "status": _enum(
                "pending", "running", "error", "success", "timeout", "interrupted"
            ),
            "metadata": _OBJ,
            "kwargs": _OBJ,
            "multitask_strategy": _MULTITASK,
        },
        ("run_id", "thread_id", "assistant_id", "status"),
    ),
    "RunCreateStateful": _object("RunCreateStateful", _RUN_FIELDS, ("assistant_id",)),
    "RunCreateStateless": _object(
        "RunCreateStateless",
        {**_RUN_FIELDS, "on_completion": _enum("delete", "keep")},
        ("assistant_id",),
    ),
    "RunsCancel": _object(
        "RunsCancel",
        {
            "thread_id": _STR,
            "run_ids": _array(_STR),
            "status": _enum("pending", "running", "all"),
        },
    ),
    "Cron": _object(
        "Cron",
        {
            "cron_id": _UUID,
            "assistant_id": _STR,
            "thread_id": _nullable(_STR),
            "on_run_completed": _enum("delete", "keep"),
            "end_time": _nullable(_TIME),
            "schedule": _STR,
            "timezone": _nullable(_STR),
            "created_at": _TIME,
            "updated_at": _TIME,
            "payload": _OBJ,
            "user_id": _nullable(_STR),
            "next_run_date": _nullable(_TIME),
            "metadata": _OBJ,
            "enabled": _BOOL,
        },
        ("cron_id", "assistant_id", "schedule"),
    ),
    "CronCreate": _object("CronCreate", _CRON_FIELDS, ("assistant_id", "schedule")),
    "ThreadCronCreate": _object(
        "ThreadCronCreate",
        {k: v for k, v in _CRON_FIELDS.items() if k != "on_run_completed"},
        ("assistant_id", "schedule"),
    ),
    "CronPatch": _object("CronPatch", dict(_CRON_FIELDS)),
    "CronSearch": _object(
        "CronSearch",
        {
            "assistant_id": _STR,
            "thread_id": _STR,
            "enabled": _BOOL,
            "metadata": _OBJ,
            **_PAGE,
            "sort_by": _STR,
            "sort_order": _SORT_ORDER,
            "select": _SELECT,
        },
    ),
    "CronCountRequest": _object(
        "CronCountRequest", {"assistant_id": _STR, "thread_id": _STR, "metadata": _OBJ}
    ),
    "Item": _object(
        "Item",
        {
            "namespace": _NAMES,
            "key": _STR,
            "value": _OBJ,
            "created_at": _TIME,
            "updated_at": _TIME,
            "score": _nullable({"type": "number"}),
        },
        ("namespace", "key", "value"),
    ),
    "StorePutRequest": _object(
        "StorePutRequest",
        {
            "namespace": _NAMES,
            "key": _STR,
            "value": _OBJ,
            "index": {"anyOf": [{"const": False}, _NAMES, {"type": "null"}]},
            "ttl": _nullable({"type": "number"}),
        },
        ("namespace", "key", "value"),
    ),
    "StoreDeleteRequest": _object(
        "StoreDeleteRequest", {"namespace": _NAMES, "key": _STR}, ("key",)
    ),
    "StoreSearchRequest": _object(
        "StoreSearchRequest",
        {
            "namespace_prefix": _NAMES,
            "filter": _OBJ,
            **_PAGE,
            "query": _STR,
            "refresh_ttl": _BOOL,
        },
    ),
    "SearchItemsResponse": _object(
        "SearchItemsResponse", {"items": _array(ref("Item"))}, ("items",)
    ),
    "StoreListNamespacesRequest": _object(
        "StoreListNamespacesRequest",
        {
            "prefix": _NAMES,
            "suffix": _NAMES,
            "max_depth": _INT,
            "limit": {**_INT, "default": 100},
            "offset": {**_INT, "default": 0},
        },
    ),
    "ListNamespaceResponse": _object(
        "ListNamespaceResponse", {"namespaces": _array(_NAMES)}, ("namespaces",)
    ),
}
