"""``/openapi.json`` schemas of runs, crons and the store.

Part of ``_openapi_schemas``' ``SCHEMAS``; wire shapes only, as there.
"""

from __future__ import annotations

from typing import Any

from stategraph.server._openapi_fields import (
    _BOOL,
    _CRON_FIELDS,
    _INT,
    _MULTITASK,
    _NAMES,
    _OBJ,
    _PAGE,
    _RUN_FIELDS,
    _SELECT,
    _SORT_ORDER,
    _STR,
    _TIME,
    _UUID,
    _array,
    _enum,
    _nullable,
    _object,
    ref,
)

RUN_SCHEMAS: dict[str, Any] = {
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
