"""Tasks of a superstep: identity, scratchpad and the config a node sees.

Ids and configs are computed lazily because most nodes never look at them;
this module must stay free of I/O.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from xxhash import xxh3_128_digest, xxh3_128_hexdigest

from stategraph._config import _DefaultRecursionLimit
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CALL,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_NODE_ERROR,
    CONFIG_KEY_READ,
    CONFIG_KEY_READ_STATE,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    CONFIG_KEY_TASK_ID,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
    PULL,
    PUSH,
    RESUME,
)

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop
    from stategraph._engine._node import PregelNode

_COUNTER_LOCK = threading.Lock()


class Counter:
    """A thread-safe counter created on first use (most tasks never count)."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next: Callable[[], int] | None = None

    def __call__(self) -> int:
        if self._next is None:
            with _COUNTER_LOCK:
                if self._next is None:
                    self._next = itertools.count(0).__next__
        return self._next()


class Scratchpad:
    """Per-task counters and resume values used by ``interrupt()`` and calls."""

    __slots__ = (
        "call_counter",
        "get_null_resume",
        "interrupt_counter",
        "resume",
        "step",
        "stop",
        "subgraph_counter",
    )

    def __init__(
        self,
        step: int,
        stop: int,
        resume: list[Any],
        get_null_resume: Callable[[bool], Any],
    ) -> None:
        self.step = step
        self.stop = stop
        self.resume = resume
        self.get_null_resume = get_null_resume
        self.call_counter = Counter()
        self.interrupt_counter = Counter()
        self.subgraph_counter = Counter()


def legacy_id_from_parts(namespace: bytes, *parts: str) -> str:
    """``id_from_parts`` as format-1 checkpoints made it, with SHA-1."""
    digest = hashlib.sha1(namespace, usedforsecurity=False)
    digest.update("".join(parts).encode())
    h = digest.hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def uuid_form(digest: bytes) -> str:
    """The 16 bytes of ``digest`` as a UUID's 8-4-4-4-12 hex digits.

    The first ten bytes in 2-byte groups but for the first separator, then
    the last six: fewer string objects than cutting the 32 digits in five.
    """
    return f"{digest[:10].hex('-', 2)}-{digest[10:].hex()}".replace("-", "", 1)


def id_from_parts(namespace: bytes, *parts: str) -> str:
    """Hash a checkpoint id and string parts into a UUID-shaped task id."""
    return uuid_form(xxh3_128_digest(namespace + "".join(parts).encode()))


# By node name: the triggers, the parts of a pull task's id after its step
# (name, PULL, triggers) encoded, the task's path key (``path_str((PULL,
# name))``) and the encoded name. The same few recur on every step of every run.
_PULL_PARTS: dict[str, tuple[tuple[str, ...], bytes, str, bytes]] = {}


def _pull_parts(name: str, triggers: tuple[str, ...]) -> tuple[Any, bytes, str, bytes]:
    tail = "".join((name, PULL, *triggers)).encode()
    parts = (triggers, tail, f"~{PULL}, {name}", name.encode())
    if len(_PULL_PARTS) < 4096 or name in _PULL_PARTS:
        _PULL_PARTS[name] = parts
    return parts


def interrupt_id(ns: str, answered: int) -> str:
    """Id of the interrupt a task raises after ``answered`` answers."""
    return xxh3_128_hexdigest((f"{ns}{NS_SEP}{answered}" if answered else ns).encode())


class Task:
    """One node execution planned for the current step."""

    __slots__ = (
        "_config",
        "_id",
        "_ns",
        "_path_key",
        "_scratchpad",
        "cache_key",
        "caller_pad",
        "fresh",
        "input",
        "loop",
        "name",
        "node",
        "node_error",
        "path",
        "step",
        "triggers",
        "writes",
    )

    def __init__(
        self,
        loop: Loop,
        node: PregelNode,
        name: str,
        path: tuple[Any, ...],
        triggers: tuple[str, ...],
        task_input: Any,
    ) -> None:
        self.loop = loop
        self.node = node
        self.name = name
        self.path = path
        self.triggers = triggers
        self.input = task_input
        self.writes: list[tuple[str, Any]] = []
        self.step = loop.step
        self._id: str | None = None
        # Namespace the task's own segment goes under: the graph's, or for a
        # task started by a call, the calling task's.
        self._ns: str = loop.parent_ns
        self._config: dict[str, Any] | None = None
        self._scratchpad: Scratchpad | None = None
        # A call's parent scratchpad is its caller's, as in LangGraph.
        self.caller_pad: Scratchpad | None = None
        self._path_key: str | None = None
        self.cache_key: Any = None
        # For an error handler's task: the failure it handles (``NodeError``).
        self.node_error: Any = None
        # Reductions of the task's writes made by a conditional edge's fresh
        # read, for the barrier to take (``_emit.local_read``).
        self.fresh: dict[str, tuple[Any, Any, list[Any], Any]] | None = None

    @property
    def path_key(self) -> str:
        """The task path as the string savers and reducers order writes by."""
        key = self._path_key
        if key is None:
            path = self.path
            if len(path) == 2 and path[0] == PULL and path[1] == self.name:
                parts = _PULL_PARTS.get(self.name)
                if parts is None:
                    parts = _pull_parts(self.name, self.triggers)
                key = parts[2]
            else:
                from stategraph._engine._algo import path_str

                key = path_str(path)
            self._path_key = key
        return key

    @property
    def id(self) -> str:
        """The task id: a hash of the checkpoint id, namespace, step and path."""
        if self._id is None:
            loop = self.loop
            name = self.name
            ns = f"{self._ns}{NS_SEP}{name}" if self._ns else name
            path = self.path
            if path[0] == PULL and not loop.legacy_ids:
                # id_from_parts(bytes, ns, str(step), name, PULL, *triggers)
                parts = _PULL_PARTS.get(name)
                if parts is None or parts[0] is not self.triggers:
                    parts = _pull_parts(name, self.triggers)
                if len(path) == 2:  # ``(PULL, name)``, as tasks are planned
                    self._path_key = parts[2]  # read with the id when saved
                head = ns.encode() if self._ns else parts[3]  # a root's ns: its name
                x = xxh3_128_digest(
                    b"%b%b%d%b" % (loop.checkpoint_id_bytes, head, self.step, parts[1])
                )
                # ``uuid_form(x)``, inline: once per task
                self._id = f"{x[:10].hex('-', 2)}-{x[10:].hex()}".replace("-", "", 1)
                return self._id
            if path[0] == PULL:
                tail = (name, PULL, *self.triggers)
            elif len(path) == 4 and path[-1] is True:
                # A task started by another task's call: named by the caller's
                # path and the call's index.
                from stategraph._engine._algo import path_str

                tail = (name, PUSH, path_str(path[1]), str(path[2]))
            else:
                tail = (name, path[0], str(path[1]))
            make_id = legacy_id_from_parts if loop.legacy_ids else id_from_parts
            self._id = make_id(loop.checkpoint_id_bytes, ns, str(self.step), *tail)
        return self._id

    @property
    def checkpoint_ns(self) -> str:
        """Namespace of checkpoints made by subgraphs running in this task."""
        ns = f"{self._ns}{NS_SEP}{self.name}" if self._ns else self.name
        return f"{ns}{NS_END}{self.id}"

    @property
    def scratchpad(self) -> Scratchpad:
        """Counters and resume values, built from pending writes on first use."""
        if self._scratchpad is None:
            self._scratchpad = _make_scratchpad(self)
        return self._scratchpad

    @property
    def config(self) -> dict[str, Any]:
        """The config the node sees, with the engine's private keys."""
        if self._config is None:
            self._config = _make_config(self)
        return self._config

    def send(self, writes: Any) -> None:
        """Record writes made by the node while it runs (``CONFIG_KEY_SEND``)."""
        self.writes.extend(writes)

    def metadata(self) -> dict[str, Any]:
        """Stream and tracing metadata of the task."""
        md: dict[str, Any] = {
            "langgraph_step": self.step,
            "langgraph_node": self.name,
            "langgraph_triggers": self.triggers,
            "langgraph_path": self.path,
            "langgraph_checkpoint_ns": self.checkpoint_ns,
        }
        if self.node.metadata:
            md.update(self.node.metadata)
        return md


def _make_scratchpad(task: Task) -> Scratchpad:
    loop = task.loop
    pending = loop.pending_writes
    null_resume: Any = None
    resume: list[Any] = []
    if pending:
        null_resume = next(
            (w for w in pending if w[0] == NULL_TASK_ID and w[1] == RESUME), None
        )
        tid = task.id
        for w in pending:
            if w[0] == tid and w[1] == RESUME:
                resume = list(w[2]) if isinstance(w[2], list) else [w[2]]
                break
        resume_map = loop.resume_map
        if resume_map:
            ns = task.checkpoint_ns
            next_id = interrupt_id(ns, len(resume))
            if next_id in resume_map:
                resume.append(resume_map[next_id])
            elif (first := interrupt_id(ns, 0)) in resume_map:
                resume.append(resume_map[first])
    parent = task.caller_pad or loop.parent_scratchpad
    # LangGraph hands each task the pending-writes list of the moment and
    # makes a new list on every write; a task taking the null resume takes it
    # from its own list only. Writes here keep one list, with generations.
    gen = loop.pending_gen

    def get_null_resume(consume: bool = False) -> Any:
        nonlocal null_resume
        if null_resume is None:
            return parent.get_null_resume(consume) if parent is not None else None
        taken = loop.null_taken
        if gen in taken:
            return None
        value = null_resume[2]
        if consume:
            taken.add(gen)
            if gen == loop.pending_gen:
                # taken from the current list: later lists lack it too
                try:
                    pending.remove(null_resume)
                except ValueError:
                    return None
        return value

    return Scratchpad(task.step, loop.stop, resume, get_null_resume)


def _read_state(task: Task) -> Any:
    """The state the task's node would read from an edge, as of this step."""
    from stategraph._engine._algo import read_state

    return read_state(task.loop, task.node)


def _make_config(task: Task) -> dict[str, Any]:
    loop = task.loop
    base = loop.config
    node = task.node
    tags = base.get("tags") or []
    if node.tags:
        tags = [*tags, *node.tags]
    ns = task.checkpoint_ns
    conf = {
        **base[CONF],
        CONFIG_KEY_TASK_ID: task.id,
        CONFIG_KEY_SEND: task.send,
        CONFIG_KEY_READ: lambda select, fresh=False: loop.local_read(
            task, select, fresh
        ),
        CONFIG_KEY_READ_STATE: lambda: _read_state(task),
        CONFIG_KEY_CHECKPOINTER: loop.checkpointer
        or base[CONF].get(CONFIG_KEY_CHECKPOINTER),
        CONFIG_KEY_CHECKPOINT_MAP: {
            **base[CONF].get(CONFIG_KEY_CHECKPOINT_MAP, {}),
            loop.parent_ns: loop.checkpoint_id,
        },
        CONFIG_KEY_CHECKPOINT_ID: None,
        CONFIG_KEY_CHECKPOINT_NS: ns,
        CONFIG_KEY_SCRATCHPAD: task.scratchpad,
        CONFIG_KEY_RUNTIME: loop.runtime_for(task),
    }
    if loop.call_impl is not None:
        conf[CONFIG_KEY_CALL] = partial(loop.call_impl, task)
    if task.node_error is not None:
        conf[CONFIG_KEY_NODE_ERROR] = task.node_error
    config = {
        **base,
        "metadata": {**base.get("metadata", {}), **task.metadata()},
        CONF: conf,
    }
    # As a node sees it under LangGraph: the graph's run id and name belong to
    # the graph's run, not the task's, and empty tags are left out.
    config.pop("run_id", None)
    config.pop("run_name", None)
    if type(config.get("recursion_limit")) is _DefaultRecursionLimit:
        config.pop("recursion_limit")
    if tags:
        config["tags"] = tags
    else:
        config.pop("tags", None)
    if loop.trace is not None:
        # A task's runs are children of the graph's.
        config["callbacks"] = loop.trace.step_callbacks(task.step)
    return config
