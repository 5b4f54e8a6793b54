"""JSON Schemas of the LangGraph Server API objects, for ``/openapi.json``.

Shapes follow the LangGraph Server API (assistants, threads, runs, crons,
store); they describe the wire format only and are never used to validate
requests (the route handlers do that). The building blocks are in
``_openapi_fields``, the run, cron and store objects in ``_openapi_runs``.
"""

from __future__ import annotations

from typing import Any

from stategraph.server._openapi_fields import (
    _ANY,
    _ASSISTANT_FIELDS,
    _BOOL,
    _INT,
    _OBJ,
    _PAGE,
    _SELECT,
    _SORT_ORDER,
    _STATE_FIELDS,
    _STR,
    _TIME,
    _TTL,
    _UUID,
    BASE_SCHEMAS,
    _array,
    _enum,
    _nullable,
    _object,
    ref,
)
from stategraph.server._openapi_runs import RUN_SCHEMAS

__all__ = ("SCHEMAS", "ref")

SCHEMAS: dict[str, Any] = {
    **BASE_SCHEMAS,
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
    **RUN_SCHEMAS,
}
