"""Writers of compiled state-graph nodes: state updates, edges, branches.

Each writer is ``writer(task, output)`` and appends to ``task.writes``; a
branch with an async path function returns an awaitable instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from stategraph._constants import CONFIG_KEY_READ, END, START, TASKS
from stategraph._fields import annotated_keys, object_update
from stategraph._types import Command, Send
from stategraph.errors import (
    ErrorCode,
    InvalidUpdateError,
    ParentCommand,
    create_error_message,
)

BRANCH_TO = "branch:to:{}"


def update_writer(output_keys: Sequence[str]) -> Callable[[Any, Any], None]:
    """The writer turning a node's return value into state writes and gotos."""
    key_set = frozenset(output_keys)
    keys = tuple(output_keys)
    root = keys == ("__root__",)

    def write(task: Any, output: Any) -> None:
        if type(output) is dict and not root:
            # The common case, kept inline: a node returning a plain dict (a
            # loop: a comprehension makes a function object on every call).
            add = task.writes.append
            for k, v in output.items():
                if k in key_set:
                    add((k, v))
            return
        else:
            writes = _root_updates(output) if root else _updates(output, key_set, keys)
            writes.extend(control_writes(output))
        if writes:
            task.writes.extend(writes)

    return write


def _has_command(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and any(isinstance(i, Command) for i in value)
    )


def _command_updates(command: Command[Any]) -> list[tuple[str, Any]]:
    """A command's updates for this graph (none when it targets the parent)."""
    if command.graph == Command.PARENT:
        return []
    return list(command._update_as_tuples())


def _updates(
    value: Any, key_set: frozenset[str], keys: tuple[str, ...]
) -> list[tuple[str, Any]]:
    """State writes of a node's return value, kept to the node's output keys."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items() if k in key_set]
    if isinstance(value, Command):
        return [(k, v) for k, v in _command_updates(value) if k in key_set]
    if _has_command(value):
        out: list[tuple[str, Any]] = []
        for item in value:
            if isinstance(item, Command):
                out.extend((k, v) for k, v in _command_updates(item) if k in key_set)
            else:
                out.extend(_updates(item, key_set, keys))
        return out
    if annotated_keys(type(value)):
        return object_update(value, keys)
    raise InvalidUpdateError(
        create_error_message(
            message=f"Expected dict, got {value}",
            error_code=ErrorCode.INVALID_GRAPH_NODE_RETURN_VALUE,
        )
    )


def _root_updates(value: Any) -> list[tuple[str, Any]]:
    """State writes of a node of a graph whose whole state is one root value."""
    if isinstance(value, Command):
        return _command_updates(value)
    if _has_command(value):
        out: list[tuple[str, Any]] = []
        for item in value:
            if isinstance(item, Command):
                out.extend(_command_updates(item))
            else:
                out.append(("__root__", item))
        return out
    return [] if value is None else [("__root__", value)]


def control_writes(value: Any) -> list[tuple[str, Any]]:
    """Writes for ``Command.goto`` (and ``Send``) returned by a node."""
    if isinstance(value, Send):
        return [(TASKS, value)]
    commands: list[Command[Any]] = []
    if isinstance(value, Command):
        commands.append(value)
    elif isinstance(value, (list, tuple)):
        commands.extend(c for c in value if isinstance(c, Command))
    out: list[tuple[str, Any]] = []
    for command in commands:
        if command.graph == Command.PARENT:
            raise ParentCommand(command)
        goto = command.goto
        targets = [goto] if isinstance(goto, (Send, str)) else goto
        for go in targets:
            if isinstance(go, Send):
                out.append((TASKS, go))
            elif isinstance(go, str) and go != END:
                out.append((BRANCH_TO.format(go), None))
    return out


def static_writer(writes: Sequence[tuple[str, Any]]) -> Callable[[Any, Any], None]:
    """A writer that always adds the same writes (plain and waiting edges)."""
    fixed = list(writes)

    def write(task: Any, output: Any) -> None:
        task.writes.extend(fixed)

    return write


def branch_writer(
    path: Callable[..., Any],
    ends: dict[Any, str] | None,
    reader: Callable[[Any], Any] | None,
    passthrough: bool,
) -> Callable[[Any, Any], Any]:
    """A writer that runs a conditional edge's path function and routes."""
    call, is_async = _path_call(path)

    def value_for(task: Any, output: Any) -> Any:
        if reader is None:
            return output
        value = reader(task)
        if passthrough and isinstance(value, dict) and isinstance(output, dict):
            value = {**output, **value}
        return value

    def finish(task: Any, result: Any) -> None:
        task.writes.extend(route_writes(result, ends))

    if is_async:

        async def awrite(task: Any, output: Any) -> None:
            finish(task, await call(value_for(task, output), task))

        # Its coroutines carry the path's name, for the error a sync run
        # raises when it meets one (see ``_engine._runner.no_sync_writer``).
        awrite.__name__ = getattr(path, "__name__", "condition")
        return awrite

    def write(task: Any, output: Any) -> Any:
        result = call(value_for(task, output), task)
        if inspect.isawaitable(result):
            return _finish_later(result, task, finish)
        finish(task, result)
        return None

    return write


async def _finish_later(
    result: Any, task: Any, finish: Callable[[Any, Any], None]
) -> None:
    finish(task, await result)


def route_writes(result: Any, ends: dict[Any, str] | None) -> list[tuple[str, Any]]:
    """Map a path function's result to branch writes (or ``Send`` packets)."""
    if not isinstance(result, (list, tuple)):
        result = [result]
    out: list[tuple[str, Any]] = []
    invalid = send_to_end = False
    # One pass, no generators (this runs on every conditional edge); errors
    # are raised after it, invalid destinations first, as LangGraph checks.
    for item in result:
        dest = item if not ends or isinstance(item, Send) else ends[item]
        if isinstance(dest, Send):
            send_to_end = send_to_end or dest.node == END
            out.append((TASKS, dest))
        elif dest is None or dest == START:
            invalid = True
        elif dest != END:
            out.append((_branch_channel(dest), None))
    if invalid:
        raise ValueError("Branch did not return a valid destination")
    if send_to_end:
        raise InvalidUpdateError("Cannot send a packet to the END node")
    return out


# Channel names of branch destinations: the same few recur on every step.
_BRANCH_CHANNELS: dict[Any, str] = {}


def _branch_channel(dest: Any) -> str:
    channel = _BRANCH_CHANNELS.get(dest) if type(dest) is str else None
    if channel is None:
        channel = BRANCH_TO.format(dest)
        if type(dest) is str and len(_BRANCH_CHANNELS) < 4096:
            _BRANCH_CHANNELS[dest] = channel
    return channel


def _path_call(path: Any) -> tuple[Callable[[Any, Any], Any], bool]:
    from stategraph.pregel._call import make_calls, per_run

    call, acall = make_calls(path, getattr(path, "__name__", "condition"))
    if acall is not None and inspect.iscoroutinefunction(path):
        return acall, True
    if acall is not None:  # a runnable: ainvoked in async runs, as in LangGraph
        return per_run(call, acall), False
    return call, False


def fresh_reader(
    select: list[str] | str, mapper: Callable[[Any], Any] | None
) -> Callable[[Any], Any]:
    """Read the state a branch sees: the node's own writes applied."""

    def read(task: Any) -> Any:
        value = task.loop.local_read(task, select, True)
        return mapper(value) if mapper is not None else value

    return read


_ = CONFIG_KEY_READ
