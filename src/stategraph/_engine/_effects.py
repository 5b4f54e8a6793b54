"""Effects the superstep generator yields; a driver carries each one out.

Effects are commands (imperative names). Drivers send back the result of the
effect, or throw the exception it raised into the generator.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from stategraph.checkpoint.base._step import StepWrites

# Whether a saver's put_writes function takes task_path (see SaveWrites.args).
TAKES_TASK_PATH: dict[Any, bool] = {}


@dataclass(slots=True)
class LoadCheckpoint:
    """Call ``saver.get_tuple(config)``; send back the tuple or ``None``."""

    config: Any


@dataclass(slots=True)
class LoadDeltaHistory:
    """Call ``saver.get_delta_channel_history(config=..., channels=...)``."""

    config: Any
    channels: list[str]


@dataclass(slots=True)
class ListCheckpoints:
    """Call ``saver.list(...)``; send back a list of tuples."""

    config: Any
    filter: Any = None
    before: Any = None
    limit: int | None = None


@dataclass(slots=True)
class SaveCheckpoint:
    """Call ``saver.put(config, checkpoint, metadata, new_versions)``.

    With ``writes``, or not ``durable`` (only for savers that
    ``saves_steps``), call ``saver.put_step`` instead: the writes and the
    checkpoint are stored in one transaction, which need not be durable
    before a later ``FlushSteps``. Otherwise, with ``since`` (only for savers
    that take ``put_changes``), call ``saver.put_changes``.
    """

    config: Any
    checkpoint: Any
    metadata: Any
    new_versions: Any
    writes: Sequence[SaveWrites] = ()
    durable: bool = True
    # For savers taking ``put_changes``: (id of the checkpoint saved last,
    # names of the ``versions_seen`` entries set since), when known.
    since: Any = None

    def step_writes(self) -> list[StepWrites]:
        """The records ``put_step`` receives for ``writes``."""
        return [
            StepWrites(w.config, w.writes, w.task_id, w.task_path) for w in self.writes
        ]


@dataclass(slots=True)
class FlushSteps:
    """Call ``saver.flush_steps(config)``: make every stored step durable."""

    config: Any


@dataclass(slots=True)
class SaveWrites:
    """Call ``saver.put_writes(config, writes, task_id, task_path)``."""

    config: Any
    writes: Sequence[tuple[str, Any]]
    task_id: str
    task_path: str

    def args(self, method: Callable[..., Any]) -> tuple[Any, ...]:
        """Positional arguments for ``method`` (``put_writes``/``aput_writes``).

        Savers written before ``task_path`` existed take three arguments, so
        it is passed only to methods that declare it, as LangGraph does.
        """
        if takes_task_path(method):
            return (self.config, self.writes, self.task_id, self.task_path)
        return (self.config, self.writes, self.task_id)


def takes_task_path(method: Callable[..., Any]) -> bool:
    """Whether a saver's ``put_writes`` (or ``aput_writes``) declares ``task_path``."""
    func = getattr(method, "__func__", method)
    takes = TAKES_TASK_PATH.get(func)
    if takes is None:
        params = inspect.signature(method).parameters
        takes = TAKES_TASK_PATH[func] = "task_path" in params
    return takes


def writes_caller(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` (``put_writes``) called as ``SaveWrites.args`` would call it."""
    if takes_task_path(method):
        return method

    def call(config: Any, writes: Any, task_id: str, task_path: str) -> Any:
        return method(config, writes, task_id)

    return call


@dataclass(slots=True)
class RunTasks:
    """Run ``tasks`` (concurrently where useful); report each with ``loop.commit``."""

    tasks: list[Any]


@dataclass(slots=True)
class AwaitWriter:
    """Await what a writer returned (an async conditional edge routing).

    Async drivers await it; sync drivers refuse it with LangGraph's error.
    """

    pending: Any


@dataclass(slots=True)
class ReadCache:
    """Call ``cache.get(keys)``; send back the mapping of hits."""

    keys: list[Any]


@dataclass(slots=True)
class WriteCache:
    """Call ``cache.set(pairs)``."""

    pairs: dict[Any, Any]


@dataclass(slots=True)
class GetSubgraphState:
    """Call ``subgraph.get_state(config, subgraphs=...)``; send back the snapshot."""

    graph: Any
    config: Any
    subgraphs: bool = True
