"""Running one task's node and writers, with the retry policy; shared by drivers.

Only the pure parts live here (which policy applies, how long to wait); the
drivers own sleeping and threads.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from typing import Any

from stategraph._config import var_child_config
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_RUNTIME,
    NS_END,
    NS_SEP,
)
from stategraph._engine import _messages
from stategraph._engine._node import AwaitOutput
from stategraph._engine._task import Task
from stategraph._types import Command, RetryPolicy
from stategraph.errors import GraphBubbleUp, ParentCommand

SLOW_TASK_SECONDS = 0.002
"""A sync task slower than this is assumed to block (I/O), so its siblings and its
later runs go to worker threads instead of running inline."""


def retry_delay(
    policies: Sequence[RetryPolicy] | None, exc: BaseException, attempt: int
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
    if not policies or not isinstance(exc, Exception) or isinstance(exc, GraphBubbleUp):
        return None
    for policy in policies:
        if _matches(policy, exc):
            break
    else:
        return None
    if attempt + 1 >= policy.max_attempts:
        return None
    interval = min(
        policy.max_interval,
        policy.initial_interval * (policy.backoff_factor**attempt),
    )
    if policy.jitter:
        interval += random.uniform(0, 1)
    return interval


def _matches(policy: RetryPolicy, exc: Exception) -> bool:
    retry_on = policy.retry_on
    if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
        return isinstance(exc, retry_on)
    if isinstance(retry_on, Sequence):
        return isinstance(exc, tuple(retry_on))
    if callable(retry_on):
        return bool(retry_on(exc))  # type: ignore[call-arg]  # a predicate
    raise TypeError(
        "retry_on must be an Exception class, a list or tuple of Exception "
        "classes, or a callable"
    )


def _langchain_var() -> Any:
    """LangChain's config context variable, once langchain-core is imported."""
    module = sys.modules.get("langchain_core.runnables.config")
    return None if module is None else module.var_child_runnable_config


def _lc_config(task: Task) -> Any:
    """The config runnables called by a node inherit through LangChain's context.

    They pick up the run's ``configurable``, tags and callbacks, as under
    LangGraph. The task's own config (node metadata for tracing) is built only
    when the run traces: building it for every task would cost more than the
    rest of the step.
    """
    loop = task.loop
    if loop.trace is not None:
        return task.config
    config = loop.config
    if "run_id" in config:
        # The graph's run id names the graph's run only, never a child's.
        config = {k: v for k, v in config.items() if k != "run_id"}
    return config


def run_sync_body(task: Task, deferred: list[Any] | None = None) -> Any:
    """Call the node and its writers (sync); return the node's output.

    Under the async driver a sync node may run in a worker thread while a
    writer (an async conditional edge) returns an awaitable: it goes to
    ``deferred`` for the event loop to await (see ``await_deferred``).
    """
    node = task.node
    token = var_child_config.set(task)
    lc_var = _langchain_var()
    lc_token = lc_var.set(_lc_config(task)) if lc_var is not None else None
    try:
        out = node.call(task.input, task)
        if task.loop.wants_messages and not task.node.hidden:
            _messages.emit_output(task.loop, task, out)
        for writer in node.writers:
            pending = writer(task, out)
            if pending is not None:
                if deferred is None:
                    raise no_sync_writer(pending)
                deferred.append(pending)
        return out
    finally:
        if lc_token is not None:
            lc_var.reset(lc_token)
        var_child_config.reset(token)


def no_sync_writer(pending: Any) -> TypeError:
    """The error for an awaitable writer result met where nothing can await it.

    A sync run cannot await an async conditional edge; dropping the coroutine
    would silently lose the edge's routing, so fail as LangGraph does.
    """
    name = getattr(pending, "__name__", "condition")
    close = getattr(pending, "close", None)
    if close is not None:
        close()  # never awaited: close it so no warning is left behind
    return TypeError(
        f'No synchronous function provided to "{name}".'
        "\nEither initialize with a synchronous function or invoke"
        " via the async API (ainvoke, astream, etc.)"
    )


async def await_deferred(task: Task, deferred: list[Any]) -> None:
    """Await writers ``run_sync_body`` left pending, in the task's context."""
    token = var_child_config.set(task)
    lc_var = _langchain_var()
    lc_token = lc_var.set(_lc_config(task)) if lc_var is not None else None
    try:
        for pending in deferred:
            await pending
    finally:
        if lc_token is not None:
            lc_var.reset(lc_token)
        var_child_config.reset(token)


async def run_async_body(task: Task) -> Any:
    """Call the node and its writers (async); return the node's output."""
    node = task.node
    token = var_child_config.set(task)
    lc_var = _langchain_var()
    lc_token = lc_var.set(_lc_config(task)) if lc_var is not None else None
    try:
        if node.acall is not None:
            out = await node.acall(task.input, task)
        else:
            out = node.call(task.input, task)
            if type(out) is AwaitOutput:  # a runnable it returned, to ainvoke
                out = await out
        if task.loop.wants_messages and not task.node.hidden:
            _messages.emit_output(task.loop, task, out)
        for writer in node.writers:
            pending: Any = writer(task, out)
            if pending is not None:
                await pending
        return out
    finally:
        if lc_token is not None:
            lc_var.reset(lc_token)
        var_child_config.reset(token)


def parent_command(task: Task, exc: ParentCommand) -> list[Any] | None:
    """Handle a ``Command`` a subgraph sent up; ``None`` means keep bubbling.

    When the command targets the graph running ``task``, the task's writers
    apply it (as if the node had returned it) and the awaitables they return
    are handed back. Otherwise the command is re-addressed to the next graph up.
    """
    ns: str = task.config[CONF][CONFIG_KEY_CHECKPOINT_NS]
    cmd = exc.args[0]
    if cmd.graph in (ns, _recast(ns), task.name):
        pending = []
        for writer in task.node.writers:
            result = writer(task, cmd)
            if result is not None:
                pending.append(result)
        return pending
    if cmd.graph == Command.PARENT:
        exc.args = (_replace_graph(cmd, _parent_ns(ns)),)
    return None


def _replace_graph(cmd: Command[Any], graph: str) -> Command[Any]:
    return Command(graph=graph, update=cmd.update, resume=cmd.resume, goto=cmd.goto)


def _recast(ns: str) -> str:
    return NS_SEP.join(
        part.split(NS_END)[0] for part in ns.split(NS_SEP) if not part.isdigit()
    )


def _parent_ns(ns: str) -> str:
    parts = ns.split(NS_SEP)
    while parts and parts[-1].isdigit():
        parts.pop()
    if parts:
        parts.pop()
    while parts and parts[-1].isdigit():
        parts.pop()
    return NS_SEP.join(parts)


def note_attempt(task: Task, attempt: int) -> None:
    """Tell a retried task's runtime which attempt this is (``node_attempt``)."""
    conf = task.config[CONF]
    runtime = conf.get(CONFIG_KEY_RUNTIME)
    info = getattr(runtime, "execution_info", None)
    if info is not None:
        conf[CONFIG_KEY_RUNTIME] = runtime.override(
            execution_info=info.patch(node_attempt=attempt + 1)
        )


def note_failure(task: Task, exc: BaseException) -> None:
    """Attach the failing task's name and id to ``exc`` (shown in tracebacks)."""
    exc.add_note(f"During task with name '{task.name}' and id '{task.id}'")
