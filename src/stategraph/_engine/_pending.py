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
        else:
            # Only special writes (errors, interrupts...): the last of each wins.
            writes = list({w[0]: w for w in writes}.values())
        if self.delta is not None:
            # In place when it is the task's list: applied values keep the ids.
            if not isinstance(writes, list):
                writes = list(writes)
            ensure_message_ids(self.delta.specs, writes)
        if self.checkpointer is None and task is not None:
            # Without a saver nothing reads writes back by task id, so the id
            # (a hash) is never computed; the task object stands in for it.
            add = self.pending_writes.append
            for channel, value in writes:  # no generator: one or two writes
                add((task, channel, value))  # type: ignore[arg-type]
            if self.modes or writes[0][0] == INTERRUPT:
                _emit.task_output(cast("Loop", self), task, writes, cached=cached)
            return []
        task_id = task.id if task is not None else who
        self.written_ids.add(task_id)  # type: ignore[arg-type]
        if task_id == NULL_TASK_ID:
            writes, to_save = self._null_writes(writes)
        else:
            # Replace the task's earlier writes, without scanning all pending
            # writes for each of a wide step's tasks (quadratic otherwise).
            pending = self.pending_writes
            if not pending:
                # The first writes since the list was cleared: nothing to
                # replace; the next task indexes the list (most steps have one).
                self._pending_ids = None
            else:
                index = self._pending_ids
                if index is None or index[0] is not pending:
                    index = self._pending_ids = (pending, {w[0] for w in pending})
                if task_id in index[1]:
                    pending[:] = [w for w in pending if w[0] != task_id]
                index[1].add(task_id)  # type: ignore[arg-type]
            to_save = list(writes)
        # A loop, not a comprehension: most tasks write once or twice.
        add = self.pending_writes.append
        for channel, value in writes:
            add((task_id, channel, value))  # type: ignore[arg-type]
        return self._save_writes(task, task_id, writes, to_save, cached, hold, direct)  # type: ignore[arg-type]

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

    def _save_writes(
        self,
        task: Task | None,
        task_id: str,
        writes: Sequence[tuple[str, Any]],
        to_save: list[Any],
        cached: bool,
        hold: bool,
        direct: bool,
    ) -> list[Any]:
        """Emit recorded writes; return the effects saving them (or save them)."""
        effects: list[Any] = []
        write_now = None
        if self.durability != "exit" and self.checkpointer is not None:
            untracked = self.untracked
            if untracked is None:
                untracked = self.untracked = self.graph.untracked_channels
            if untracked:
                to_save = _drop_untracked(to_save, untracked)
            path: str | None = "" if task is None else task._path_key
            if path is None:  # else set with a pull task's id, or computed
                path = task.path_key  # type: ignore[union-attr]
            if hold and self.saves_steps:
                # Stored with the step's checkpoint, in its transaction.
                save = SaveWrites(self._writes_config(), to_save, task_id, path)
                self.held.append(save)
            elif direct and (write_now := self.write_now) is not None:
                pass  # stored below, where the driver would perform the effect
            else:
                save = SaveWrites(self._writes_config(), to_save, task_id, path)
                effects.append(save)
        # Without stream modes only an interrupt is recorded (``task_output``).
        if task is not None and (self.modes or writes[0][0] == INTERRUPT):
            _emit.task_output(cast("Loop", self), task, writes, cached=cached)
        if write_now is not None:
            made = self._writes_cfg  # ``_writes_config()``'s cache, read inline
            if made is not None and made[0] is self._ckpt_id:
                write_now(made[1], to_save, task_id, path)
            else:
                write_now(self._writes_config(), to_save, task_id, path)
        return effects

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
