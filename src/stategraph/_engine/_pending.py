"""Pending writes of a run: recording tasks' writes and the effects saving them.

The part of ``Checkpointing`` (and so of ``Loop``) that keeps
``pending_writes`` (what a resumed or retried step reuses) and yields the
``SaveWrites`` effects; like the rest of the loop it performs no I/O itself.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from stategraph._constants import INTERRUPT, NULL_TASK_ID, TASKS, WRITES_IDX_MAP
from stategraph._engine import _emit
from stategraph._engine._algo import path_str
from stategraph._engine._effects import SaveWrites
from stategraph._engine._task import Task
from stategraph._types import Send
from stategraph.channels._delta_ids import ensure_message_ids

if TYPE_CHECKING:
    from stategraph._engine._delta_run import DeltaRun
    from stategraph._engine._loop import Loop

Effects = Generator[Any, Any, Any]


def _sanitize_send(packet: Any, untracked: frozenset[str]) -> Any:
    """``packet`` without the values of untracked channels in its state arg.

    A ``Send`` often carries the whole state; its untracked values (often
    unserialisable resources) must not reach the saver.
    """
    if not isinstance(packet, Send) or not isinstance(packet.arg, dict):
        return packet
    if untracked.isdisjoint(packet.arg):
        return packet
    arg = {k: v for k, v in packet.arg.items() if k not in untracked}
    return Send(packet.node, arg, timeout=packet.timeout)


def _drop_untracked(
    writes: Sequence[tuple[str, Any]], untracked: frozenset[str]
) -> list[tuple[str, Any]]:
    """Writes to save: none to untracked channels, ``Send`` args sanitised."""
    return [
        (c, _sanitize_send(v, untracked) if c == TASKS else v)
        for c, v in writes
        if c not in untracked
    ]


class PendingWrites:
    """Pending writes of a ``Loop`` (through ``Checkpointing``)."""

    # Set up by ``Loop._setup`` / ``_enter``.
    graph: Any
    checkpointer: Any
    durability: Any
    delta: DeltaRun | None
    modes: frozenset[str]
    pending_writes: list[tuple[str, str, Any]]
    tasks: list[Task]
    _pending_ids: tuple[list[Any], set[str]] | None
    _writes_cfg: tuple[str, dict[str, Any]] | None
    _ckpt_id: str | None
    # The graph's ``untracked_channels`` (read once per run, on first use).
    untracked: frozenset[str] | None
    # Tasks that wrote in this run: only their writes are saved at exit.
    written_ids: set[str]
    # Generation of ``pending_writes`` (``_task._make_scratchpad``).
    pending_gen: int
    # Whether the saver stores a checkpoint and writes in one transaction
    # (``put_step``; set by the driver), and the writes waiting for it.
    saves_steps: bool
    held: list[SaveWrites]
    # Set by the sync driver: ``put_writes(config, writes, task_id, task_path)``
    # of the run's saver, called by ``commit`` in place of yielding the effect
    # the driver would carry out at once anyway.
    write_now: Any

    def _writes_config(self) -> dict[str, Any]:
        """The config writes are saved against (``Checkpointing`` builds it)."""
        raise NotImplementedError

    def _write_now(self, writes: list[Any], task_id: str, path: str) -> None:
        """Store a task's writes at once (``Checkpointing`` does)."""
        raise NotImplementedError

    def put_writes(
        self,
        task_id: str,
        writes: Sequence[tuple[str, Any]],
        cached: bool = False,
        task: Task | None = None,
    ) -> Effects:
        """Record writes outside a task run (commands, cache hits) and save them."""
        yield from self._record(task if task is not None else task_id, writes, cached)

    def _record(
        self,
        who: Task | str,
        writes: Sequence[tuple[str, Any]],
        cached: bool = False,
        hold: bool = False,
        direct: bool = False,
    ) -> list[Any]:
        if not writes:
            return []
        self.pending_gen += 1  # LangGraph's list of pending writes is new
        task = who if isinstance(who, Task) else None
        for write in writes:
            if write[0] not in WRITES_IDX_MAP:
                break
        else:  # only special writes (errors, interrupts...): the last of each wins
            writes = list({w[0]: w for w in writes}.values())
        if self.delta is not None:
            writes = self._with_message_ids(writes)
        # Without stream modes only an interrupt is recorded (``task_output``).
        emit = task is not None and (self.modes or writes[0][0] == INTERRUPT)
        if self.checkpointer is None and task is not None:
            # No saver: nothing reads writes by task id; the task stands in.
            add = self.pending_writes.append
            for channel, value in writes:  # no generator: one or two writes
                add((task, channel, value))  # type: ignore[arg-type]
            if emit:
                _emit.task_output(cast("Loop", self), task, writes, cached=cached)
            return []
        task_id: str = task.id if task is not None else who  # type: ignore[assignment]
        self.written_ids.add(task_id)
        to_save = list(writes)
        if task_id == NULL_TASK_ID:
            writes, to_save = self._null_writes(writes)
        elif self.pending_writes:
            self._replace_earlier(task_id)
        else:  # nothing to replace; the step's next task indexes the list
            self._pending_ids = None
        add = self.pending_writes.append
        for channel, value in writes:  # a loop: most tasks write once or twice
            add((task_id, channel, value))
        effects: list[Any] = []
        if self.durability != "exit" and self.checkpointer is not None:
            if self.untracked is None or self.untracked:
                to_save = self._tracked(to_save)
            path = "" if task is None else task._path_key or task.path_key
            held = hold and self.saves_steps
            if direct and not held and self.write_now is not None:
                if emit:  # first: the driver would store the writes after it
                    _emit.task_output(cast("Loop", self), task, writes, cached=cached)  # type: ignore[arg-type]
                self._write_now(to_save, task_id, path)
                return effects
            save = SaveWrites(self._writes_config(), to_save, task_id, path)
            (self.held if held else effects).append(save)  # held: in its step's put
        if emit:
            _emit.task_output(cast("Loop", self), task, writes, cached=cached)  # type: ignore[arg-type]
        return effects

    def _tracked(self, writes: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """``writes`` without the graph's untracked channels (read once a run)."""
        untracked = self.untracked
        if untracked is None:
            untracked = self.untracked = self.graph.untracked_channels
        return _drop_untracked(writes, untracked) if untracked else writes

    def _with_message_ids(
        self, writes: Sequence[tuple[str, Any]]
    ) -> Sequence[tuple[str, Any]]:
        """``writes`` with ids on their messages (delta channels)."""
        # In place when it is the task's list: applied values keep the ids.
        if not isinstance(writes, list):
            writes = list(writes)
        ensure_message_ids(self.delta.specs, writes)  # type: ignore[union-attr]
        return writes

    def _replace_earlier(self, task_id: str) -> None:
        """Drop the task's earlier pending writes, without a scan per task.

        Scanning all pending writes for each of a wide step's tasks would be
        quadratic: the ids of the tasks that wrote are indexed once per list.
        """
        pending = self.pending_writes
        index = self._pending_ids
        if index is None or index[0] is not pending:
            index = self._pending_ids = (pending, {w[0] for w in pending})
        if task_id in index[1]:
            pending[:] = [w for w in pending if w[0] != task_id]
        index[1].add(task_id)

    def _null_writes(
        self, writes: Sequence[tuple[str, Any]]
    ) -> tuple[list[tuple[str, Any]], list[Any]]:
        """The null task's writes, and what to save: its regular ones kept."""
        self.pending_writes = [
            w
            for w in self.pending_writes
            if w[0] != NULL_TASK_ID or w[1] not in WRITES_IDX_MAP
        ]
        writes = sorted(writes, key=lambda w: w[0] in WRITES_IDX_MAP)
        kept = [w[1:] for w in self.pending_writes if w[0] == NULL_TASK_ID]
        return writes, kept + writes

    def _put_pending_writes(self) -> Iterator[SaveWrites]:
        if self.checkpointer is None or not self.pending_writes:
            return
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for tid, chan, value in self.pending_writes:
            # Writes loaded with the checkpoint are stored with it already:
            # saved again they would count twice (a stale interrupt of an
            # earlier run, carried to a new input's checkpoint, as pending).
            if tid in self.written_ids:
                by_task.setdefault(tid, []).append((chan, value))
        config = self._writes_config()
        untracked = self.graph.untracked_channels
        for tid, writes in by_task.items():
            if untracked:
                # LangGraph saves these unfiltered at exit; an untracked value
                # must never reach the saver, whatever the durability.
                writes = _drop_untracked(writes, untracked)
            task = next((t for t in self.tasks if t._id == tid), None)
            yield SaveWrites(config, writes, tid, path_str(task.path) if task else "")
