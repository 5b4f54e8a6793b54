"""The superstep loop: a generator that plans, runs and commits steps.

It owns the run's channels, yields effects (load checkpoints, run tasks,
read/write the cache) and never performs I/O itself; building and saving
checkpoints, writes and channel versions is ``_saving.Checkpointing``'s part.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from typing import Any

from stategraph._config import var_child_config
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_NODE_FINISHED,
    CONFIG_KEY_RESUME_MAP,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_TASK_ID,
    ERROR,
    ERROR_SOURCE_NODE,
    INTERRUPT,
    NO_WRITES,
    NS_SEP,
    PUSH,
    RESUME,
    TASKS,
)
from stategraph._engine import _emit, _handlers, _messages, _step_cache
from stategraph._engine._algo import apply_writes, prepare_tasks, should_interrupt
from stategraph._engine._apply import apply_one
from stategraph._engine._calls import is_call
from stategraph._engine._delta_run import DeltaRun
from stategraph._engine._effects import RunTasks
from stategraph._engine._enter import (
    Entering,
    _InputTask as _InputTask,  # re-exported
)
from stategraph._engine._saving import empty_checkpoint
from stategraph._engine._status import read_statuses
from stategraph._engine._task import Scratchpad, Task
from stategraph._runtime import DEFAULT_RUNTIME, ExecutionInfo, Runtime
from stategraph.errors import (
    GraphBubbleUp,
    GraphInterrupt,
    InvalidUpdateError,
)

Effects = Generator[Any, Any, Any]


_CONTROL = frozenset((ERROR, "__error_source_node__", INTERRUPT, RESUME))
_NONE: frozenset[str] = frozenset()


class Loop(Entering):
    """State of one run of one graph (the root or a subgraph)."""

    def __init__(self, graph: Any, run: Any) -> None:
        self._setup(graph, run.config, run.checkpointer)
        self.run = run
        self.input = run.input
        self.stream = run.sinks
        self.modes: frozenset[str] = frozenset().union(*(s.modes for s in run.sinks))
        self.durability = run.durability
        self.output_keys = run.output_keys
        self.interrupt_before = run.interrupt_before
        self.interrupt_after = run.interrupt_after
        self.runtime: Runtime[Any] = run.runtime
        self.wants_messages = "messages" in self.modes
        # A subgraph streaming into its parent's sink shares that sink's ids,
        # as the parent's own loop does; a graph streaming messages itself
        # (streamed inside a node) shares its own handler's, which saw its
        # model's tokens.
        self.seen_messages: set[str] = next(
            (s.seen_messages for s in run.sinks if "messages" in s.modes),
            run.sinks[0].seen_messages,
        )

    @classmethod
    def detached(cls, graph: Any, config: dict[str, Any], checkpointer: Any) -> Loop:
        """A loop that is not run: used to read or update saved state."""
        loop = cls.__new__(cls)
        loop._setup(graph, config, checkpointer)
        loop.stream = ()
        loop.modes = frozenset()
        loop.output_keys = graph.stream_channels_asis
        loop.runtime = DEFAULT_RUNTIME
        loop.wants_messages = False
        return loop

    def _setup(self, graph: Any, config: dict[str, Any], checkpointer: Any) -> None:
        self.graph = graph
        self.config = config
        conf = config[CONF]
        self.checkpointer = checkpointer
        self.stream_keys = graph.stream_channels_asis
        self.nodes = graph.nodes
        self.managed = graph.managed
        self.trigger_to_nodes = graph.trigger_to_nodes
        self.finishable = graph.finishable
        self.unsteady: frozenset[str] = graph.unsteady
        self.consumers: frozenset[str] = graph.consumers
        self.is_nested = CONFIG_KEY_TASK_ID in conf
        self.parent_ns: str = conf.get(CONFIG_KEY_CHECKPOINT_NS, "")
        self.ns: tuple[str, ...] = (
            tuple(self.parent_ns.split(NS_SEP)) if self.parent_ns else ()
        )
        self.parent_scratchpad: Scratchpad | None = conf.get(CONFIG_KEY_SCRATCHPAD)
        self.resume_map: dict[str, Any] | None = conf.get(CONFIG_KEY_RESUME_MAP)
        # LangGraph's hook called with the name of each node that succeeds.
        self.node_finished: Any = conf.get(CONFIG_KEY_NODE_FINISHED)
        self.status = "input"
        self.values_emitted = False
        self.interrupts: list[Any] = []
        self.output: Any = None
        self.tasks: list[Task] = []
        self.pending_writes: list[tuple[str, str, Any]] = []
        self.metadata: dict[str, Any] = {"step": -2}
        self.step = 0
        self.stop = 0
        self._init_checkpointing()
        self.is_replaying = False
        self.updated: set[str] | None = None
        # Set by the driver: runs a task function a node calls (functional API).
        self.call_impl: Any = None
        # LangChain callbacks of the run (``pregel._tracing``), set by the driver.
        self.trace: Any = None
        self.inline_task: Task | None = None
        # The async driver's event loop (None in sync runs): a runnable a sync
        # function returns runs through ``ainvoke`` there (``pregel._call``).
        self.aio: Any = None
        # Set by the async driver when the saver's blocking API waits on the
        # run's own event loop: sync nodes must then leave that loop's thread.
        self.sync_off_loop = False
        # Set by the async driver: whether the running step has several tasks.
        self.parallel_step = False
        self.deferred: list[Any] = []
        # Interrupts and resumes, told to graph lifecycle handlers by the trace.
        self.lifecycle: list[tuple[str, str, str, tuple[Any, ...]]] = []
        self.calls: list[Any] = []
        # Failed tasks whose error handler is still to run: (task, exception).
        self.handlers_due: list[tuple[Task, BaseException]] = []
        self.loaded_latest = False
        self.delta: DeltaRun | None = None
        # Tasks of the running step that have not committed yet.
        self.open_tasks = 0

    @property
    def step_counters(self) -> Scratchpad:
        """A scratchpad with only the step counters, for managed values."""
        return Scratchpad(self.step, self.stop, [], _no_resume)

    # -- the run --------------------------------------------------------------

    def execute(self) -> Effects:
        """Run the graph to completion, an interrupt or an error."""
        yield from self._enter()
        try:
            while self._tick():
                if self.run.cache is None:  # no generator per plain step
                    yield self._start_step(self.tasks)
                    if self.failures:
                        _step_cache.raise_failures(self.failures)
                else:
                    yield from _step_cache.run_step(self)
                self._barrier()
                effect = self.save_step({"source": "loop"})
                if effect is not None:
                    yield effect
                    self._mark_saved(effect.config, effect.checkpoint["id"])
                self._after_save()
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                if self.is_nested or not isinstance(exc, GraphInterrupt):
                    # LangGraph hands chunks over while a step's tasks run;
                    # what the step made after that (a lone task's output)
                    # is lost with an error, even if exit saves follow.
                    self.run.chunks.clear()
                # The step's checkpoint will not be saved: its writes are.
                yield from self.flush_held()
                yield from self.make_durable()
            if not (yield from self._exit(exc)):
                raise
        else:
            yield from self._exit(None)
            yield from self.make_durable()
        return self.output

    def _tick(self) -> bool:
        # A plain method, not an effect generator: planning a step does no I/O.
        if self.step > self.stop:
            self.status = "out_of_steps"
            self.tasks = prepare_tasks(self, self.updated)
            _emit.checkpoint(self)
            return False
        self.tasks = prepare_tasks(self, self.updated)
        if self.modes:  # the events below go to stream modes only
            _emit.checkpoint(self)
        if not self.tasks:
            self.status = "done"
            return False
        routed: set[str] | frozenset[str] = _NONE
        if self.pending_writes and not self.is_replaying:
            self._reapply_pending(self.tasks)
            routed = _handlers.resume_routed(self)
        if self.interrupt_before and should_interrupt(
            self, self.interrupt_before, self.tasks
        ):
            self.status = "interrupt_before"
            raise GraphInterrupt()
        control = self.runtime.control
        if control is not None and control.drain_requested:
            # After the breakpoint check: a resume passes the next step's
            # breakpoints, so draining in front of one would skip it.
            self.status = "draining"
            return False
        if self.modes:
            _emit.tasks_started(self, self.tasks)
        if self.wants_messages:
            for task in self.tasks:
                if not task.node.hidden:
                    _messages.note_input(self, task)
        for task in self.tasks:
            if task.writes and task.id not in routed:
                _emit.task_output(self, task, task.writes, cached=True)
        return True

    def _reapply_pending(self, tasks: Sequence[Task]) -> None:
        by_id = {t.id: t for t in tasks}
        writes = [w for w in self.pending_writes if w[0] in by_id]
        for tid, status in read_statuses(writes).items():
            if status.finished:
                by_id[tid].writes.extend(status.output)
                if self.delta is not None:
                    self.delta.reapplied.add(tid)

    def _start_step(self, tasks: list[Task]) -> RunTasks:
        """The effect running ``tasks``, those of the step still to run."""
        # A new list: error handlers join ``self.tasks`` while the step runs.
        todo = []  # a loop: a comprehension makes a function on every call
        for task in tasks:
            if not task.writes:  # else reapplied from a checkpoint: not run
                todo.append(task)
        self.failures: list[tuple[Task, BaseException]] = []
        self.open_tasks = len(todo)
        # even with nothing to run (every task cached): as LangGraph's runner,
        # the driver hands out the chunks so far before the step's writes
        # are applied, which may fail
        return RunTasks(todo)

    def commit(self, task: Task, exc: BaseException | None) -> list[Any]:
        """Record the outcome of ``task``; return the saver effects to perform.

        Called by drivers as each task finishes, in task order.
        """
        path = task.path
        if len(path) == 4 and path[-1] is True and path[0] == PUSH:  # is_call
            last = False
        else:
            # Whether ``task`` succeeded and is the last of a clean step to
            # finish: its writes may then wait for the step's checkpoint and
            # be stored in the same transaction (nothing runs in between, so a
            # crash loses both or neither). Writes of a task with siblings
            # still running are stored at once: a crash never runs a finished
            # task again.
            self.open_tasks -= 1
            last = (
                exc is None
                and self.open_tasks == 0
                and not self.failures
                and not self.handlers_due
                and not self.calls
            )
        if exc is None:
            if self.node_finished is not None and not task.node.hidden:
                self.node_finished(task.name)
            writes = task.writes
            for write in writes:  # no generator: one or two writes
                if write[0] not in _CONTROL:
                    break
            else:  # none, or only control writes
                writes.append((NO_WRITES, None))
            return self._record(task, writes, hold=last, direct=True)
        routed = _handlers.routes(self, task, exc)
        if not is_call(task) and not routed:
            # A called task's failure is raised in its caller, which decides;
            # a routed one is its error handler's to deal with.
            self.failures.append((task, exc))
        if isinstance(exc, GraphInterrupt):
            if exc.args and exc.args[0]:
                writes = [(INTERRUPT, exc.args[0])]
                writes.extend(w for w in task.writes if w[0] == RESUME)
                return self._record(task, writes)
            return []
        if isinstance(exc, GraphBubbleUp):
            return []
        task.writes.append((ERROR, exc))
        if routed:
            task.writes.append((ERROR_SOURCE_NODE, task.name))
            self.handlers_due.append((task, exc))
        return self._record(task, task.writes)

    def _barrier(self) -> None:
        """Apply the step's writes (the checkpoint is saved after)."""
        tasks = self.tasks
        if len(tasks) == 1:  # read only below: the task's own list, not a copy
            writes: list[tuple[str, Any]] = tasks[0].writes
            self.updated = apply_one(self, tasks[0])  # ``apply_writes``' first case
        else:
            writes = [w for task in tasks for w in task.writes]
            self.updated = apply_writes(self, tasks)
        # after the writes apply: a step they fail records none (LangGraph)
        if self.delta is not None:
            self.delta.after_tick(self, writes)
        if not self.values_emitted or "values" in self.modes:
            # Once output was written, only a ``values`` stream needs to know.
            _emit.values(self, writes)
        self.pending_writes.clear()
        self._pending_ids = None
        self.is_replaying = False

    def _after_save(self) -> None:
        """Count the step; stop at ``interrupt_after`` breakpoints; resumes end."""
        self.step += 1
        if self.interrupt_after and should_interrupt(
            self, self.interrupt_after, self.tasks
        ):
            self.status = "interrupt_after"
            self.tasks = prepare_tasks(self, self.updated)
            _emit.checkpoint(self)
            raise GraphInterrupt()
        self.config[CONF].pop(CONFIG_KEY_RESUMING, None)

    def _exit(self, exc: BaseException | None) -> Effects:
        if self.durability == "exit" and (
            not self.is_nested
            or exc is not None
            or all(":" not in part for part in self.ns)
        ):
            if self.delta is not None:
                yield from self.delta.stage_exit(self)
            yield from self.put_exit()
        if isinstance(exc, GraphInterrupt) and not self.is_nested:
            found = tuple(exc.args[0]) if exc.args else ()
            self.lifecycle.append(
                ("interrupt", self.status, self.checkpoint_id, (self.ns, found))
            )
            if self.pending_writes and any(t.writes for t in self.tasks):
                apply_writes(self, self.tasks)
                _emit.values(self, [w for t in self.tasks for w in t.writes])
            if not exc.args or not exc.args[0]:
                _emit.interrupt_chunk(self, exc.args[0] if exc.args else ())
            self.output = self.graph.read_output(self)
            return True
        if exc is None:
            self.output = self.graph.read_output(self)
        return False

    # -- services for tasks ---------------------------------------------------

    def local_read(self, task: Task, select: Any, fresh: bool = False) -> Any:
        """Read state as the task sees it; ``fresh`` applies the task's own writes."""
        return _emit.local_read(self, task, select, fresh)

    def runtime_for(self, task: Task) -> Runtime[Any]:
        """The ``Runtime`` a node of ``task`` receives."""
        rid = self.config.get("run_id")
        return self.runtime.override(
            previous=self.channels["__previous__"].get()
            if "__previous__" in self.channels
            and self.channels["__previous__"].is_available()
            else None,
            execution_info=ExecutionInfo(
                checkpoint_id=self.checkpoint_id,
                checkpoint_ns=task.checkpoint_ns,
                task_id=task.id,
                thread_id=self.config[CONF].get("thread_id"),
                run_id=str(rid) if rid else None,
                node_first_attempt_time=time.time(),
            ),
        )


def _no_resume(consume: bool = False) -> Any:
    return None


__all__ = [
    "DEFAULT_RUNTIME",
    "InvalidUpdateError",
    "Loop",
    "TASKS",
    "empty_checkpoint",
    "var_child_config",
]
