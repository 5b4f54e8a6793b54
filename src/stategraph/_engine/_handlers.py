"""Node error handlers: the task that runs when a node fails for good.

A node added with ``error_handler=`` does not fail the run once its retries are
spent: its failure is saved (``__error__`` plus an ``__error_source_node__``
marker) and a handler task runs in the same step with the node's input and a
``NodeError``; what the handler returns is applied at the barrier like any
node's update. A run resumed after that step does not run the failed node
again: the marker sends it straight to its handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stategraph._constants import ERROR, ERROR_SOURCE_NODE, PUSH
from stategraph._engine._calls import PUSH_TRIGGERS, is_call
from stategraph._engine._task import Task, id_from_parts, legacy_id_from_parts
from stategraph.errors import GraphBubbleUp

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop

HANDLER_PATH = "node_error_handler"


def routes(loop: Loop, task: Task, exc: BaseException) -> bool:
    """Whether ``task``'s failure goes to an error handler instead of the caller."""
    handler = task.node.error_handler
    return (
        handler is not None
        and isinstance(exc, Exception)
        # An interrupt (or a command bubbling up) is no failure to handle.
        and not isinstance(exc, GraphBubbleUp)
        and not is_call(task)
        and handler in loop.nodes
    )


def plan(loop: Loop, *, rerun: bool = False) -> list[Task]:
    """Handler tasks for the failures routed so far (the list is emptied).

    The tasks join ``loop.tasks``; those to run are returned. A handler routed
    while the step runs keeps writes saved under its id; one routed on resume
    (``rerun``) runs again, as LangGraph prepares it afresh.
    """
    from stategraph.errors import NodeError

    tasks = []
    for failed, exc in loop.handlers_due:
        name = failed.node.error_handler
        assert name is not None
        node = loop.nodes[name]
        path = (*failed.path[:3], HANDLER_PATH, False)
        task = Task(loop, node, name, path, PUSH_TRIGGERS, failed.input)
        ns = f"{loop.parent_ns}|{name}" if loop.parent_ns else name
        make_id = legacy_id_from_parts if loop.legacy_ids else id_from_parts
        task._id = make_id(
            loop.checkpoint_id_bytes,
            ns,
            str(loop.step),
            name,
            PUSH,
            HANDLER_PATH,
            failed.id,
        )
        task.node_error = NodeError(node=failed.name, error=exc)
        if not rerun:
            _reapply(loop, task)
        loop.tasks.append(task)
        tasks.append(task)
    loop.handlers_due.clear()
    runnable = [t for t in tasks if not t.writes]
    # Handlers join the running step: its last task to commit is one of them
    # or comes after them (see ``Loop.commit``).
    loop.open_tasks += len(runnable)
    return runnable


def _reapply(loop: Loop, task: Task) -> None:
    """A handler that finished before a resume keeps its saved writes."""
    from stategraph._engine._status import read_statuses

    mine = [w for w in loop.pending_writes if w[0] == task.id]
    for status in read_statuses(mine).values():
        if status.finished:
            task.writes.extend(status.output)


def resume_routed(loop: Loop) -> set[str]:
    """Send tasks whose failure was routed before a resume straight to the handler.

    The handlers join the step's tasks before it is announced, as LangGraph
    schedules them, and run again whatever they wrote before the resume; their
    ``NodeError`` carries the saved error as loaded (LangGraph's saver keeps
    an exception's repr). Returns the ids of the failed tasks they stand in for.
    """
    pending = loop.pending_writes
    routed = set()
    for task in loop.tasks:
        if task.writes or task.node.error_handler is None:
            continue
        tid = task.id
        if not any(w[0] == tid and w[1] == ERROR_SOURCE_NODE for w in pending):
            continue
        saved = (w[2] for w in pending if w[0] == tid and w[1] == ERROR)
        error: Any = next(saved, None)
        if error is None:
            continue
        task.writes.extend([(ERROR, error), (ERROR_SOURCE_NODE, task.name)])
        loop.handlers_due.append((task, error))
        routed.add(tid)
    if routed:
        plan(loop, rerun=True)
    return routed
