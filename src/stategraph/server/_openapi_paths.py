"""What each served route does, declared once: the source of ``/openapi.json``.

One ``Operation`` per (method, Starlette path) the app serves. ``_openapi``
joins this table with the app's routes and refuses a route it does not
describe, so a new route cannot be served undocumented.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ("OPERATIONS", "Operation", "Query", "describe")


@dataclass(frozen=True, slots=True)
class Query:
    """A query parameter (or, with ``header=True``, a request header)."""

    name: str
    type: str = "string"
    description: str = ""
    header: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    """One route's method: request body, response and parameters.

    ``body`` and ``response`` name component schemas; ``"[X]"`` is an array
    of ``X``, ``"int"`` a bare integer, ``"any"`` any JSON, ``None`` no body
    (``204`` responses have none). ``stream`` answers server-sent events.
    """

    tag: str
    summary: str
    body: str | None = None
    response: str | None = None
    status: int = 200
    query: tuple[Query, ...] = ()
    stream: bool = False
    body_required: bool = True
    extra_status: tuple[int, ...] = ()


_SUBGRAPHS = Query("subgraphs", "boolean", "Include subgraph states.")
_CANCEL_ON_DISCONNECT = Query(
    "cancel_on_disconnect", "boolean", "Cancel the run if the client goes away."
)
_LAST_EVENT_ID = Query(
    "Last-Event-ID", description="Resume after this event id.", header=True
)
_STREAM_MODE = Query("stream_mode", description="Modes to join (repeatable).")
_ACTION = Query("action", description="interrupt (default) or rollback.")
_RUN = "Run a graph: create a run and "

OPERATIONS: dict[tuple[str, str], Operation] = {
    # system
    ("GET", "/ok"): Operation("system", "Health check.", response="Ok"),
    ("GET", "/info"): Operation("system", "Server version and flags.", response="Info"),
    ("GET", "/openapi.json"): Operation(
        "system", "This OpenAPI document.", response="any"
    ),
    ("GET", "/docs"): Operation("system", "API documentation page.", response="html"),
    # assistants
    ("POST", "/assistants"): Operation(
        "assistants", "Create an assistant.", "AssistantCreate", "Assistant"
    ),
    ("POST", "/assistants/search"): Operation(
        "assistants", "Search assistants.", "AssistantSearchRequest", "[Assistant]"
    ),
    ("POST", "/assistants/count"): Operation(
        "assistants", "Count assistants.", "AssistantCountRequest", "int"
    ),
    ("GET", "/assistants/{id}"): Operation(
        "assistants", "Get an assistant.", response="Assistant"
    ),
    ("PATCH", "/assistants/{id}"): Operation(
        "assistants",
        "Update an assistant (makes a new version).",
        "AssistantPatch",
        "Assistant",
    ),
    ("DELETE", "/assistants/{id}"): Operation(
        "assistants",
        "Delete an assistant.",
        status=204,
        query=(Query("delete_threads", "boolean", "Also delete its threads."),),
    ),
    ("POST", "/assistants/{id}/versions"): Operation(
        "assistants",
        "List an assistant's versions.",
        "AssistantVersionsSearchRequest",
        "[Assistant]",
        body_required=False,
    ),
    ("POST", "/assistants/{id}/latest"): Operation(
        "assistants", "Pin an assistant version.", "AssistantVersionChange", "Assistant"
    ),
    ("GET", "/assistants/{id}/graph"): Operation(
        "assistants",
        "The assistant's graph drawing.",
        response="DrawableGraph",
        query=(Query("xray", description="true, false or a depth."),),
    ),
    ("GET", "/assistants/{id}/schemas"): Operation(
        "assistants", "The assistant's JSON schemas.", response="GraphSchema"
    ),
    ("GET", "/assistants/{id}/subgraphs"): Operation(
        "assistants",
        "Schemas of the assistant's subgraphs.",
        response="Subgraphs",
        query=(Query("recurse", "boolean", "Include nested subgraphs."),),
    ),
    ("GET", "/assistants/{id}/subgraphs/{namespace:path}"): Operation(
        "assistants",
        "Schemas of the subgraphs under a namespace.",
        response="Subgraphs",
        query=(Query("recurse", "boolean", "Include nested subgraphs."),),
    ),
    # threads
    ("POST", "/threads"): Operation(
        "threads", "Create a thread.", "ThreadCreate", "Thread", body_required=False
    ),
    ("POST", "/threads/search"): Operation(
        "threads",
        "Search threads.",
        "ThreadSearchRequest",
        "[Thread]",
        body_required=False,
    ),
    ("POST", "/threads/count"): Operation(
        "threads", "Count threads.", "ThreadCountRequest", "int", body_required=False
    ),
    ("POST", "/threads/prune"): Operation(
        "threads",
        "Delete or trim threads.",
        "ThreadPruneRequest",
        "ThreadPruneResponse",
    ),
    ("GET", "/threads/{id}"): Operation(
        "threads",
        "Get a thread.",
        response="Thread",
        query=(Query("include", description="ttl: include the thread's TTL."),),
    ),
    ("PATCH", "/threads/{id}"): Operation(
        "threads",
        "Update a thread's metadata or TTL.",
        "ThreadPatch",
        "Thread",
        extra_status=(204,),
    ),
    ("DELETE", "/threads/{id}"): Operation(
        "threads", "Delete a thread with its runs and checkpoints.", status=204
    ),
    ("POST", "/threads/{id}/copy"): Operation(
        "threads", "Copy a thread with its checkpoints.", response="Thread"
    ),
    ("GET", "/threads/{id}/state"): Operation(
        "threads",
        "The thread's latest state.",
        None,
        "ThreadState",
        query=(_SUBGRAPHS,),
    ),
    ("POST", "/threads/{id}/state"): Operation(
        "threads",
        "Update the thread's state as a node would.",
        "ThreadStateUpdate",
        "ThreadStateUpdateResponse",
    ),
    ("POST", "/threads/{id}/state/checkpoint"): Operation(
        "threads",
        "The thread's state at a checkpoint.",
        "ThreadStateCheckpointRequest",
        "ThreadState",
    ),
    ("GET", "/threads/{id}/state/{checkpoint_id}"): Operation(
        "threads",
        "The thread's state at a checkpoint id.",
        response="ThreadState",
        query=(_SUBGRAPHS,),
    ),
    ("GET", "/threads/{id}/history"): Operation(
        "threads",
        "The thread's past states, newest first.",
        response="[ThreadState]",
        query=(Query("limit", "integer"), Query("before")),
    ),
    ("POST", "/threads/{id}/history"): Operation(
        "threads",
        "The thread's past states, newest first.",
        "ThreadStateSearch",
        "[ThreadState]",
        body_required=False,
    ),
    ("POST", "/threads/{thread_id}/commands"): Operation(
        "threads",
        "Send a v3 protocol command ({id, method, params}): run.start or "
        "input.respond.",
        "any",
        "any",
    ),
    ("POST", "/threads/{thread_id}/stream/events"): Operation(
        "threads",
        "Stream the thread's v3 protocol events; the body ({channels, "
        "namespaces?, depth?, since?}) filters them.",
        "any",
        stream=True,
    ),
    ("GET", "/threads/{id}/stream"): Operation(
        "threads",
        "Join every run of the thread.",
        stream=True,
        query=(
            _LAST_EVENT_ID,
            Query("stream_modes", description="run_modes, lifecycle, state_update."),
        ),
    ),
    # runs
    ("POST", "/runs/stream"): Operation(
        "runs",
        _RUN + "stream it (temporary thread).",
        "RunCreateStateless",
        stream=True,
    ),
    ("POST", "/runs/wait"): Operation(
        "runs", _RUN + "wait for its output.", "RunCreateStateless", "any"
    ),
    ("POST", "/runs"): Operation(
        "runs", _RUN + "return at once.", "RunCreateStateless", "Run"
    ),
    ("POST", "/runs/batch"): Operation(
        "runs", "Create several background runs.", "[RunCreateStateless]", "[Run]"
    ),
    ("POST", "/runs/cancel"): Operation(
        "runs",
        "Cancel runs by id or status.",
        "RunsCancel",
        status=204,
        query=(_ACTION,),
    ),
    ("GET", "/runs/{run_id}/stream"): Operation(
        "runs",
        "Join a stateless run's stream.",
        stream=True,
        query=(_LAST_EVENT_ID, _STREAM_MODE, _CANCEL_ON_DISCONNECT),
    ),
    ("GET", "/runs/{run_id}/join"): Operation(
        "runs",
        "Wait for a stateless run's output.",
        response="any",
        query=(_CANCEL_ON_DISCONNECT,),
    ),
    ("POST", "/threads/{thread_id}/runs/stream"): Operation(
        "runs", _RUN + "stream it.", "RunCreateStateful", stream=True
    ),
    ("POST", "/threads/{thread_id}/runs/wait"): Operation(
        "runs", _RUN + "wait for its output.", "RunCreateStateful", "any"
    ),
    ("POST", "/threads/{thread_id}/runs"): Operation(
        "runs", _RUN + "return at once.", "RunCreateStateful", "Run"
    ),
    ("GET", "/threads/{thread_id}/runs"): Operation(
        "runs",
        "List the thread's runs.",
        response="[Run]",
        query=(
            Query("limit", "integer"),
            Query("offset", "integer"),
            Query("status"),
            Query("select"),
        ),
    ),
    ("GET", "/threads/{thread_id}/runs/{run_id}"): Operation(
        "runs", "Get a run.", response="Run"
    ),
    ("DELETE", "/threads/{thread_id}/runs/{run_id}"): Operation(
        "runs", "Delete a run.", status=204
    ),
    ("GET", "/threads/{thread_id}/runs/{run_id}/join"): Operation(
        "runs",
        "Wait for a run's output.",
        response="any",
        query=(_CANCEL_ON_DISCONNECT,),
    ),
    ("GET", "/threads/{thread_id}/runs/{run_id}/stream"): Operation(
        "runs",
        "Join a run's stream.",
        stream=True,
        query=(_LAST_EVENT_ID, _STREAM_MODE, _CANCEL_ON_DISCONNECT),
    ),
    ("POST", "/threads/{thread_id}/runs/{run_id}/cancel"): Operation(
        "runs",
        "Cancel a run; with wait=1, answer its output once it stops.",
        response="any",
        status=202,
        query=(Query("wait", "boolean"), _ACTION),
        extra_status=(200,),
    ),
    # crons
    ("POST", "/runs/crons"): Operation(
        "crons", "Schedule runs on new threads.", "CronCreate", "Cron"
    ),
    ("POST", "/runs/crons/search"): Operation(
        "crons", "Search crons.", "CronSearch", "[Cron]", body_required=False
    ),
    ("POST", "/runs/crons/count"): Operation(
        "crons", "Count crons.", "CronCountRequest", "int", body_required=False
    ),
    ("GET", "/runs/crons/{cron_id}"): Operation(
        "crons", "Get a cron.", response="Cron"
    ),
    ("PATCH", "/runs/crons/{cron_id}"): Operation(
        "crons", "Update a cron.", "CronPatch", "Cron"
    ),
    ("DELETE", "/runs/crons/{cron_id}"): Operation(
        "crons", "Delete a cron.", status=204
    ),
    ("POST", "/threads/{thread_id}/runs/crons"): Operation(
        "crons", "Schedule runs on this thread.", "ThreadCronCreate", "Cron"
    ),
    # store
    ("PUT", "/store/items"): Operation(
        "store", "Store or replace an item.", "StorePutRequest", status=204
    ),
    ("GET", "/store/items"): Operation(
        "store",
        "Get an item (null when missing).",
        response="Item?",
        query=(
            Query("namespace", description="Dot-joined namespace."),
            Query("key"),
            Query("refresh_ttl", "boolean"),
        ),
    ),
    ("DELETE", "/store/items"): Operation(
        "store", "Delete an item.", "StoreDeleteRequest", status=204
    ),
    ("POST", "/store/items/search"): Operation(
        "store", "Search items.", "StoreSearchRequest", "SearchItemsResponse"
    ),
    ("POST", "/store/namespaces"): Operation(
        "store",
        "List namespaces.",
        "StoreListNamespacesRequest",
        "ListNamespaceResponse",
        body_required=False,
    ),
    # protocols (the bodies are JSON-RPC 2.0 messages)
    ("POST", "/mcp"): Operation("mcp", "MCP: one JSON-RPC message.", "any", "any"),
    ("GET", "/mcp"): Operation("mcp", "MCP event stream (405: not offered)."),
    ("DELETE", "/mcp"): Operation("mcp", "End an MCP session (404: none kept)."),
    ("POST", "/a2a/{assistant_id}"): Operation(
        "a2a", "A2A: one JSON-RPC request to the assistant.", "any", "any"
    ),
    ("GET", "/a2a/{assistant_id}"): Operation(
        "a2a", "The assistant's A2A agent card.", response="any"
    ),
    ("DELETE", "/a2a/{assistant_id}"): Operation("a2a", "Not supported (405)."),
    ("GET", "/a2a/{assistant_id}/.well-known/agent-card.json"): Operation(
        "a2a", "The assistant's A2A agent card.", response="any"
    ),
    ("GET", "/a2a/{assistant_id}/.well-known/agent.json"): Operation(
        "a2a", "The assistant's A2A agent card (older name).", response="any"
    ),
    ("GET", "/.well-known/agent-card.json"): Operation(
        "a2a",
        "An assistant's A2A agent card.",
        response="any",
        query=(Query("assistant_id"),),
    ),
    ("POST", "/ui/{graph_id}"): Operation(
        "ui", "HTML loading a graph's UI component ({name}).", "any", "any"
    ),
}


def describe(method: str, path: str) -> Operation:
    """The ``Operation`` of a served route, or a ``LookupError`` naming it."""
    try:
        return OPERATIONS[(method, path)]
    except KeyError:
        raise LookupError(
            f"route {method} {path} has no entry in "
            "stategraph/server/_openapi_paths.py OPERATIONS: describe it there so "
            "/openapi.json documents it"
        ) from None
