"""Starting a run: loading its checkpoint and applying input, commands and resumes.

The part of ``Loop`` that runs before the first superstep: it picks the
checkpoint to start from (latest, addressed, or the one a replaying parent
points at), decides whether the run resumes, replays or forks, and turns the
input or ``Command`` into writes. Like the rest of the loop it only yields
effects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_REPLAY_STATE,
    CONFIG_KEY_RESUME_MAP,
    CONFIG_KEY_RESUMING,
    INPUT,
    INTERRUPT,
    NULL_TASK_ID,
    RESUME,
)
from stategraph._engine import _delta, _emit
from stategraph._engine._algo import apply_writes, prepare_tasks
from stategraph._engine._delta_run import DeltaRun, load_history
from stategraph._engine._effects import ListCheckpoints, LoadCheckpoint
from stategraph._engine._io import map_command, map_input
from stategraph._engine._replay import ReplayState
from stategraph._engine._saving import Checkpointing, Effects, empty_checkpoint
from stategraph._engine._status import read_statuses
from stategraph._types import Command
from stategraph.channels._delta_ids import ensure_message_ids
from stategraph.channels.base import MISSING
from stategraph.errors import EmptyInputError

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop


class _InputTask:
    """Stand-in task carrying input writes through ``apply_writes``."""

    __slots__ = ("name", "path", "triggers", "writes")

    def __init__(self, writes: Any) -> None:
        self.name = INPUT
        self.path: tuple[Any, ...] = ()
        self.triggers: tuple[str, ...] = ()
        self.writes = list(writes)


class Entering(Checkpointing):
    """How a ``Loop`` starts (mixed into it)."""

    # Set up by ``Loop.__init__`` / ``_setup``.
    run: Any
    input: Any
    is_nested: bool
    ns: tuple[str, ...]
    resume_map: dict[str, Any] | None
    status: str
    stop: int
    versions: dict[str, Any]
    versions_seen: dict[str, Any]
    channels: dict[str, Any]
    lifecycle: list[tuple[str, str, str, tuple[Any, ...]]]
    loaded_latest: bool
    is_replaying: bool
    addressed: bool
    superseded: bool

    def _start_delta(self) -> None:
        if self.graph.delta_channels:
            self.delta = DeltaRun(
                self.graph, self.durability, self.checkpointer is not None
            )

    def _enter(self) -> Effects:
        saved = yield from self._load()
        base = self.run.checkpoint_config
        if saved is None:
            checkpoint: dict[str, Any] = empty_checkpoint()
            self.metadata = {"step": -2}
            self.pending_writes = []
            saved_config = base
            self.prev_checkpoint_config = None
        else:
            checkpoint = dict(saved.checkpoint)
            if self.graph.migrate_checkpoint is not None:
                self.graph.migrate_checkpoint(checkpoint)
            self.metadata = dict(saved.metadata)
            self.pending_writes = [
                (str(t), c, v) for t, c, v in saved.pending_writes or ()
            ]
            saved_config = saved.config
            self.prev_checkpoint_config = saved.parent_config
        self.checkpoint_config = {
            **base,
            **saved_config,
            CONF: {
                CONFIG_KEY_CHECKPOINT_NS: "",
                **base.get(CONF, {}),
                **saved_config.get(CONF, {}),
            },
        }
        self.saved_id = checkpoint["id"] if saved is not None else None
        histories = yield from load_history(
            self.graph, checkpoint, self.checkpointer, self.checkpoint_config
        )
        self.restore(checkpoint, histories)
        self._start_delta()
        if self.delta is not None:
            self.delta.entered(self, saved, checkpoint)
        self.step = self.metadata["step"] + 1
        self.stop = self.step + self.config["recursion_limit"] + 1
        prior = checkpoint.get("updated_channels")
        self.updated = set(prior) if prior else None
        yield from self._first()

    def _load(self) -> Effects:
        """Load the checkpoint this run starts from (effects only)."""
        conf = self.run.checkpoint_config
        replay = self.config[CONF].get(CONFIG_KEY_REPLAY_STATE)
        self.addressed = bool(conf[CONF].get(CONFIG_KEY_CHECKPOINT_ID) or replay)
        self.superseded = False
        if self.checkpointer is None:
            return None
        if conf[CONF].get(CONFIG_KEY_CHECKPOINT_ID):
            saved = yield LoadCheckpoint(conf)
            if saved is not None:
                # A run addressed at a checkpoint the thread has moved past
                # replays its tasks and forks, even from an update checkpoint.
                latest = yield LoadCheckpoint(
                    {**conf, CONF: {**conf[CONF], CONFIG_KEY_CHECKPOINT_ID: None}}
                )
                self.superseded = (
                    latest is not None
                    and latest.checkpoint["id"] != saved.checkpoint["id"]
                )
            return saved
        if replay is not None:
            # The parent is replaying: start from what this subgraph had saved
            # before the replay point, and take the input again (no resume).
            self.config[CONF].pop(CONFIG_KEY_RESUMING, None)
            if replay.first_visit(conf[CONF].get(CONFIG_KEY_CHECKPOINT_NS, "")):
                before = {CONF: {CONFIG_KEY_CHECKPOINT_ID: replay.checkpoint_id}}
                found = yield ListCheckpoints(conf, None, before, 1)
                return found[0] if found else None
        self.loaded_latest = True
        return (yield LoadCheckpoint(conf))

    def _first(self) -> Effects:
        conf = self.config[CONF]
        is_command = isinstance(self.input, Command)
        is_resuming, is_time_traveling = self._start_kind(conf, is_command)
        self.is_replaying = is_time_traveling or self.superseded
        if is_time_traveling:
            self.pending_writes = [w for w in self.pending_writes if w[1] != RESUME]
        forks = (
            is_resuming
            and is_time_traveling
            and (
                self.metadata.get("source") not in ("update", "fork") or self.superseded
            )
        )
        carried: list[tuple[str, str, Any]] = []
        replay_bound: dict[str, Any] | None = None
        if self.delta is not None:
            self.delta.started(
                self.pending_writes, is_resuming and not self.is_replaying
            )
        if is_command:
            carried = yield from self._command_writes(self.input, forks)
        null_writes = [
            w[1:] for w in (*self.pending_writes, *carried) if w[0] == NULL_TASK_ID
        ]
        if null_writes:
            updated = apply_writes(cast("Loop", self), [_InputTask(null_writes)])
            if self.updated is not None:
                self.updated.update(updated)
        if is_resuming:
            replay_bound = yield from self._resume(forks)
        elif input_writes := map_input(self.graph.input_channels, self.input):
            if self.delta is not None:
                ensure_message_ids(self.graph.channel_specs, input_writes)
            discard = prepare_tasks(cast("Loop", self), self.updated)
            writes = [*discard, _InputTask(input_writes)]
            self.updated = apply_writes(cast("Loop", self), writes)
            if self.delta is not None:
                yield from self.delta.input_writes(self, input_writes)
            yield from self._put_checkpoint({"source": "input"})
        elif CONFIG_KEY_RESUMING not in conf:
            raise EmptyInputError(f"Received no input for {self.graph.input_channels}")
        if not self.is_nested:
            replay = None
            if is_time_traveling:
                replay = ReplayState(self._replay_checkpoint_id(replay_bound))
            self.config = {
                **self.config,
                CONF: {
                    **conf,
                    CONFIG_KEY_RESUMING: is_resuming,
                    CONFIG_KEY_REPLAY_STATE: replay,
                },
            }
        self.status = "pending"
        if is_resuming:
            self.lifecycle.append(("resume", self.status, self.checkpoint_id, self.ns))

    def _start_kind(self, conf: dict[str, Any], is_command: bool) -> tuple[bool, Any]:
        """Whether this run resumes the thread, and whether it travels in time."""
        is_resuming = bool(self.versions) and bool(
            conf.get(
                CONFIG_KEY_RESUMING,
                self.input is None
                or is_command
                or (
                    not self.is_nested
                    and self.config.get("metadata", {}).get("run_id")
                    == self.metadata.get("run_id", MISSING)
                ),
            )
        )
        is_time_traveling = self.addressed and (
            # Time travel into a subgraph checkpoint: the parent resumes, but
            # this graph's own namespace was addressed through checkpoint_map.
            (
                self.is_nested
                and conf.get(CONFIG_KEY_CHECKPOINT_NS, "")
                in conf.get(CONFIG_KEY_CHECKPOINT_MAP, {})
            )
            or not (
                (is_command and self.input.resume is not None)
                or conf.get(CONFIG_KEY_RESUMING, False)
            )
        )
        return is_resuming, is_time_traveling

    def _resume(self, forks: bool) -> Effects:
        """Resume the saved state (forking it if asked); return the replay bound."""
        replay_bound = None
        self.versions_seen[INTERRUPT] = {
            k: self.versions[k] for k in self.channels if k in self.versions
        }
        self.seen_changed.add(INTERRUPT)
        if forks:
            if (
                self.metadata.get("source") in ("update", "fork")
                and self.prev_checkpoint_config
            ):
                replay_bound = self.prev_checkpoint_config
            self.pending_writes = [w for w in self.pending_writes if w[1] != INTERRUPT]
            yield from self._put_checkpoint({"source": "fork"})
        _emit.values(cast("Loop", self), True)
        return replay_bound

    def _replay_checkpoint_id(self, bound: dict[str, Any] | None) -> str:
        """The parent checkpoint subgraphs replay from (before any fork)."""
        if bound is not None:
            return str(bound[CONF].get(CONFIG_KEY_CHECKPOINT_ID, self.checkpoint_id))
        if (
            self.metadata.get("source") in ("update", "fork")
            and self.prev_checkpoint_config
        ):
            return str(
                self.prev_checkpoint_config[CONF].get(
                    CONFIG_KEY_CHECKPOINT_ID, self.checkpoint_id
                )
            )
        return self.checkpoint_id

    def _command_writes(self, cmd: Command[Any], forks: bool) -> Effects:
        resume_is_map = False
        if cmd.resume is not None:
            if self.checkpointer is None:
                raise RuntimeError(
                    "Cannot use Command(resume=...) without checkpointer"
                )
            resume_is_map = isinstance(cmd.resume, dict) and all(
                _is_interrupt_id(k) for k in cmd.resume
            )
            if resume_is_map:
                self.resume_map = cmd.resume
                self.config[CONF][CONFIG_KEY_RESUME_MAP] = cmd.resume
            elif len(self._pending_interrupts()) > 1:
                raise RuntimeError(
                    "When there are multiple pending interrupts, you must specify the "
                    "interrupt id when resuming. Docs: https://docs.langchain.com/oss/"
                    "python/langgraph/interrupts#handling-multiple-interrupts."
                )
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for tid, chan, value in map_command(cmd):
            if not (chan == RESUME and resume_is_map):
                grouped.setdefault(tid, []).append((chan, value))
        if not grouped and not resume_is_map:
            raise EmptyInputError("Received empty Command input")
        carried: list[tuple[str, str, Any]] = []
        delta = self.delta
        for tid, writes in grouped.items():
            if forks:
                if delta is not None:
                    ensure_message_ids(delta.specs, writes)
                carried.extend((tid, c, v) for c, v in writes)
            else:
                yield from self.put_writes(tid, writes)
                if delta is not None and tid == NULL_TASK_ID:
                    delta.command(writes)
        if delta is not None:
            delta.forced |= _delta.with_pending_writes(delta.specs, carried)
        return carried

    def _pending_interrupts(self) -> set[str]:
        return {
            i.id
            for status in read_statuses(self.pending_writes).values()
            for i in status.pending_interrupts
        }


def _is_interrupt_id(key: Any) -> bool:
    return (
        isinstance(key, str)
        and len(key) == 32
        and all(c in "0123456789abcdef" for c in key)
    )
