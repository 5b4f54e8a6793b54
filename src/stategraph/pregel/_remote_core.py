"""The sans-IO half of ``RemoteGraph``: requests from configs, replies to objects.

Builds the keyword arguments of LangGraph SDK calls and turns server replies
into stategraph objects (snapshots, drawings, stream chunks, interrupts). It
makes no HTTP call and imports no ``langgraph_sdk``: ``_remote.py`` drives it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from stategraph._config import merge_configs
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_STRICT_RESUME,
    CONFIG_KEY_TASK_ID,
    INTERRUPT,
    NS_SEP,
)
from stategraph._types import Command, Interrupt, PregelTask, StateSnapshot
from stategraph.errors import GraphInterrupt, ParentCommand, RemoteException

if TYPE_CHECKING:
    from stategraph._config import RunnableConfig

# Engine-internal keys: they name the caller's checkpoints, not the server's.
_CONF_DROPLIST = frozenset(
    (
        CONFIG_KEY_CHECKPOINT_MAP,
        CONFIG_KEY_CHECKPOINT_ID,
        CONFIG_KEY_CHECKPOINT_NS,
        CONFIG_KEY_TASK_ID,
        CONFIG_KEY_STRICT_RESUME,
    )
)
_CHECKPOINT_KEYS = ("thread_id", "checkpoint_ns", "checkpoint_id", "checkpoint_map")
SKIP = object()
"""What ``StreamPlan.handle`` returns for a chunk the caller did not ask for."""


def sanitize_value(value: Any) -> Any:
    """``value`` reduced to JSON primitives; ``None`` when nothing is left."""
    if isinstance(value, (str, int, float, bool, UUID)):
        return value
    if isinstance(value, dict):
        return {
            k: clean
            for k, v in value.items()
            if isinstance(k, str) and (clean := sanitize_value(v)) is not None
        }
    if isinstance(value, (list, tuple)):
        return [clean for v in value if (clean := sanitize_value(v)) is not None]
    return None


def sanitize_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``config`` a server can receive: primitives, no engine keys."""
    out: dict[str, Any] = {}
    if "recursion_limit" in config:
        out["recursion_limit"] = config["recursion_limit"]
    if "tags" in config:
        out["tags"] = [tag for tag in config["tags"] if isinstance(tag, str)]
    if "metadata" in config:
        out["metadata"] = sanitize_value(
            {k: v for k, v in config["metadata"].items() if isinstance(k, str)}
        )
    if CONF in config:
        conf = {
            k: v
            for k, v in config[CONF].items()
            if isinstance(k, str) and k not in _CONF_DROPLIST
        }
        out[CONF] = sanitize_value(conf)
    return out


def checkpoint_of(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The SDK ``Checkpoint`` a config points at, or ``None`` if it names none."""
    if config is None:
        return None
    conf = config[CONF]
    found = {key: conf[key] for key in _CHECKPOINT_KEYS if key in conf}
    return found or None


def config_of(checkpoint: Mapping[str, Any]) -> RunnableConfig:
    """The ``RunnableConfig`` of an SDK ``Checkpoint``."""
    conf = {
        "thread_id": checkpoint["thread_id"],
        "checkpoint_ns": checkpoint["checkpoint_ns"],
        "checkpoint_id": checkpoint["checkpoint_id"],
        "checkpoint_map": checkpoint.get("checkpoint_map", {}),
    }
    return cast("RunnableConfig", {CONF: conf})


def thread_id_of(config: Mapping[str, Any]) -> Any:
    """The thread a read or update targets; a clear error when there is none."""
    conf = config.get(CONF) or {}
    if "thread_id" not in conf:
        raise ValueError(
            "RemoteGraph needs a thread to read or update state: pass "
            "config={'configurable': {'thread_id': ...}}, got "
            f"{dict(config)!r}."
        )
    return conf["thread_id"]


def snapshot_of(state: Mapping[str, Any]) -> StateSnapshot:
    """A ``StateSnapshot`` from a server's ``ThreadState``."""
    tasks = tuple(_task_of(task) for task in state["tasks"])
    parent = state["parent_checkpoint"]
    return StateSnapshot(
        values=state["values"],
        next=tuple(state["next"]) if state["next"] else (),
        config=config_of(state["checkpoint"]),
        metadata=dict(state["metadata"]),  # type: ignore[arg-type]  # server JSON
        created_at=state["created_at"],
        parent_config=config_of(parent) if parent else None,
        tasks=tasks,
        interrupts=tuple(i for task in tasks for i in task.interrupts),
    )


def _task_of(task: Mapping[str, Any]) -> PregelTask:
    state: Any = None
    if task["state"]:
        state = snapshot_of(task["state"])
    elif task["checkpoint"]:
        state = {CONF: task["checkpoint"]}
    return PregelTask(
        id=task["id"],
        name=task["name"],
        path=(),
        error=Exception(task["error"]) if task["error"] else None,
        interrupts=tuple(Interrupt(**i) for i in task["interrupts"]),
        state=state,
        result=task.get("result"),
    )


def drawable_of(graph: Mapping[str, Any]) -> Any:
    """Our drawable ``Graph`` from the JSON of ``GET /assistants/{id}/graph``."""
    from stategraph.graph._drawable import Edge, Graph, Node

    nodes: dict[str, Node] = {}
    for node in graph["nodes"]:
        node_id = str(node["id"])
        data = node.get("data", {})
        name = node.get("name")
        if name is None:
            name = data.get("name", node_id) if isinstance(data, dict) else node_id
        nodes[node_id] = Node(node_id, name, data, node.get("metadata"))
    return Graph(nodes=nodes, edges=[Edge(**edge) for edge in graph["edges"]])


def copy_config(base: Any, config: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The config of ``with_config``: ``base`` overlaid with ``config`` and kwargs."""
    return merge_configs(base, config, dict(kwargs))


def tracing_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """``headers`` plus LangSmith's distributed-tracing ones for the current run.

    Without ``langsmith`` there can be no current run, so nothing is added.
    """
    try:
        import langsmith
    except ImportError:  # pragma: no cover - langsmith comes with langchain-core
        return headers
    run = langsmith.get_current_run_tree()
    if run is None:
        return headers
    extra = run.to_headers()
    if not headers:
        return extra
    if "baggage" in headers:
        extra["baggage"] = f"{headers['baggage']},{extra['baggage']}"
    headers.update(extra)
    return headers


def resume_command(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``Command(resume=...)`` to send when the caller resumes this node.

    A remote graph keeps its own checkpoints, so the caller's resume value
    has to travel with the request; re-sending the node's input instead would
    restart the remote run and interrupt again (LangGraph's RemoteGraph does
    that, issue #4879). ``None`` when not resuming. A resume *map* needs no
    command: its ids are the remote interrupts' and it reaches the server in
    the sanitized ``configurable`` (``__pregel_resume_map``), as in LangGraph.
    """
    conf = (config or {}).get(CONF) or {}
    scratchpad = conf.get(CONFIG_KEY_SCRATCHPAD)
    if scratchpad is None or not conf.get(CONFIG_KEY_CHECKPOINT_NS):
        return None
    if scratchpad.resume:
        return {"resume": scratchpad.resume[-1]}
    value = scratchpad.get_null_resume(True)
    return None if value is None else {"resume": value}


def command_payload(command: Command[Any]) -> dict[str, Any]:
    """A ``Command`` as the SDK's ``command`` field (a plain dict)."""
    return dataclasses.asdict(command)


@dataclasses.dataclass(slots=True)
class StreamPlan:
    """What one ``stream`` call asks the server for and how it answers its caller.

    Attributes:
        modes: Stream modes sent to the server.
        requested: Modes the caller asked for (the others feed the parent).
        single: The caller passed one mode, so chunks are not tagged by mode.
        sink: The parent graph's stream when running as a node, else ``None``.
        caller_ns: The namespace of the node this graph runs as (``()`` alone).
        subgraphs: The caller asked for subgraph chunks.
        version: ``"v1"`` (tuples) or ``"v2"`` (``StreamPart`` dicts).
    """

    modes: list[str]
    requested: list[str]
    single: bool
    sink: Any
    caller_ns: tuple[str, ...]
    subgraphs: bool
    version: str

    def handle(self, chunk: Any) -> Any:
        """What to yield for one SDK ``StreamPart``, or ``SKIP``.

        Raises:
            ParentCommand: The remote graph sent a command to its parent.
            GraphInterrupt: The remote graph paused and runs as a node.
            RemoteException: The remote run failed.
        """
        mode, _, rest = chunk.event.partition(NS_SEP)
        ns = self.caller_ns + (tuple(rest.split(NS_SEP)) if rest else ())
        data = chunk.data
        if mode == "command" and data.get("graph") == Command.PARENT:
            raise ParentCommand(Command(**data))
        if self.sink is not None and mode in self.sink.modes:
            put = getattr(self.sink, "put", self.sink)
            put((ns, mode, data))
        if mode == "updates":
            if isinstance(data, dict) and INTERRUPT in data and self.caller_ns:
                raise GraphInterrupt([Interrupt(**i) for i in data[INTERRUPT]])
        elif mode == "error":
            raise RemoteException(data)
        if mode not in self.requested:
            return SKIP
        # Subgraph chunks may have been asked for the parent's stream only;
        # the server sends each message once, so messages are always kept.
        if rest and not self.subgraphs and mode != "messages":
            return SKIP
        if mode == "messages":
            data = tuple(data)
            chunk = chunk._replace(data=data)
        return self._shape(mode, ns, data, chunk)

    def _shape(self, mode: str, ns: tuple[str, ...], data: Any, chunk: Any) -> Any:
        if self.version == "v2":
            interrupts: tuple[Interrupt, ...] = ()
            if mode == "values" and isinstance(data, dict):
                interrupts = tuple(
                    Interrupt(**i) if isinstance(i, dict) else i
                    for i in data.pop(INTERRUPT, ())
                )
            return {"type": mode, "ns": ns, "data": data, "interrupts": interrupts}
        if self.subgraphs:
            return (ns, data) if self.single else (ns, mode, data)
        return data if self.single else chunk


def plan_stream(
    stream_mode: str | Sequence[str] | None,
    config: Mapping[str, Any] | None,
    *,
    subgraphs: bool,
    version: str,
) -> StreamPlan:
    """The modes to request and how to shape chunks for one ``stream`` call.

    ``updates`` is always requested, because interrupts arrive there; the
    parent graph's modes are added when running as a node; ``messages`` is
    asked for as ``messages-tuple``, the server's name for it.
    """
    if not stream_mode:
        sent = ["updates"]
    elif isinstance(stream_mode, str):
        sent = [stream_mode]
    else:
        sent = list(stream_mode)
    single = not stream_mode or isinstance(stream_mode, str)
    requested = [m for m in sent if m != "messages-tuple"]
    if len(requested) != len(sent):
        requested.append("messages")
    conf = (config or {}).get(CONF) or {}
    sink = conf.get(CONFIG_KEY_STREAM)
    if sink is not None:
        sent.extend(sink.modes)
    if "messages" in sent:
        sent.remove("messages")
        sent.append("messages-tuple")
    if "updates" not in sent:
        sent.append("updates")
    if "events" in sent:
        sent.remove("events")
    caller_ns = conf.get(CONFIG_KEY_CHECKPOINT_NS)
    return StreamPlan(
        modes=sent,
        requested=requested,
        single=single,
        sink=sink,
        caller_ns=tuple(caller_ns.split(NS_SEP)) if caller_ns else (),
        subgraphs=subgraphs,
        version=version,
    )


def invoke_result(last: Any, version: str) -> Any:
    """What ``invoke`` returns given the last ``values`` chunk (``SKIP``: none)."""
    if last is SKIP:
        import logging

        logging.getLogger(__name__).warning("No events received from remote graph")
        return None
    if version == "v2":
        from stategraph._types import GraphOutput

        return GraphOutput(value=last["data"], interrupts=tuple(last["interrupts"]))
    return last
