"""Tasks started by running tasks: the functional API's ``@task`` calls.

A node calls a task function; the loop turns the call into a child task of the
same step, a push task whose path names its parent and the call's index, so its
result is saved as a pending write and reused when the parent runs again on
resume. This module plans the children and reads their outcome; the drivers
run them (threads and event loops are theirs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from stategraph._constants import ERROR, PUSH, RETURN
from stategraph._engine import _emit
from stategraph._engine._status import read_statuses
from stategraph._engine._task import Task

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop

PUSH_TRIGGERS = (PUSH,)
_MISSING = object()


class Call:
    """One call of a task function: what to run and under which policies."""

    __slots__ = (
        "cache_policy",
        "callbacks",
        "func",
        "input",
        "retry_policy",
        "timeout",
    )

    def __init__(
        self,
        func: Callable[..., Any],
        input: tuple[tuple[Any, ...], dict[str, Any]],
        *,
        retry_policy: Sequence[Any] | None = None,
        cache_policy: Any = None,
        callbacks: Any = None,
        timeout: Any = None,
    ) -> None:
        self.func = func
        self.input = input
        self.retry_policy = retry_policy
        self.cache_policy = cache_policy
        self.callbacks = callbacks
        self.timeout = timeout


def is_call(task: Any) -> bool:
    """Whether ``task`` was started by another task's call (not by the graph)."""
    path = task.path
    return len(path) == 4 and path[0] == PUSH and path[-1] is True


def accept_call(loop: Loop, parent: Task, call: Call) -> Task:
    """Plan the child task for ``call`` made by ``parent``; register it in the step.

    A child that finished in an earlier attempt (its writes are among the
    pending writes of the checkpoint) comes back with those writes filled in:
    the driver then returns its result without running it again.
    """
    node = loop.graph.node_for_call(call)
    idx = parent.scratchpad.call_counter()
    path = (PUSH, parent.path, idx, True)
    child = Task(loop, node, node.name, path, PUSH_TRIGGERS, call.input)
    child._ns = parent.checkpoint_ns
    child.caller_pad = parent.scratchpad
    if loop.trace is not None:
        # A call is traced under the run of the node that made it (the node
        # points its config's callbacks there while it runs), as in LangGraph.
        callbacks = parent.config.get("callbacks")
        if callbacks is not None:
            child.config["callbacks"] = callbacks
    loop.tasks.append(child)
    _emit.tasks_started(loop, [child])
    if loop.pending_writes and not loop.is_replaying:
        tid = child.id
        mine = [w for w in loop.pending_writes if w[0] == tid]
        for status in read_statuses(mine).values():
            if status.finished:
                child.writes.extend(status.output)
    return child


def outcome(task: Task) -> tuple[bool, Any]:
    """``(True, value)`` for a child that returned, ``(False, exc)`` if it failed."""
    for chan, value in task.writes:
        if chan == RETURN:
            return True, value
    for chan, value in task.writes:
        if chan == ERROR:
            exc = value if isinstance(value, BaseException) else Exception(value)
            return False, exc
    return True, None
