"""Checkpoints of a run: restoring channels, versions, saving steps and writes.

The part of ``Loop`` that builds what savers store (checkpoint records, pending
writes, channel versions) and the effects that store them; like the rest of the
loop it performs no I/O itself.
"""

from __future__ import annotations

import binascii
import random
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

from stategraph._clock import utc_iso, utc_now_iso
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    TASKS,
)
from stategraph._engine import _delta
from stategraph._engine._effects import FlushSteps, SaveCheckpoint, SaveWrites
from stategraph._engine._pending import PendingWrites, _sanitize_send
from stategraph._engine._task import Task
from stategraph.channels.base import MISSING
from stategraph.checkpoint.base._step import padded_fast_path
from stategraph.checkpoint.base.id import stamp, uuid6_str

if TYPE_CHECKING:
    from stategraph._engine._delta_run import DeltaRun

Effects = Generator[Any, Any, Any]


# Zeros padding a version number of each length to 32 digits.
_ZEROS = ["0" * (32 - n) for n in range(33)]


def empty_checkpoint() -> dict[str, Any]:
    """A blank checkpoint record in the current layout (``v`` 4)."""
    return {
        "v": 4,
        "id": uuid6_str(-2),
        "ts": utc_now_iso(),
        "channel_values": {},
        "channel_versions": {},
        "versions_seen": {},
    }


class Checkpointing(PendingWrites):
    """Checkpoint state and saving of a ``Loop`` (mixed into it)."""

    # Set up by ``Loop._setup`` / ``_enter``.
    graph: Any
    config: dict[str, Any]
    checkpointer: Any
    checkpoint_config: dict[str, Any]
    prev_checkpoint_config: dict[str, Any] | None
    parent_ns: str
    durability: Any
    delta: DeltaRun | None
    metadata: dict[str, Any]
    modes: frozenset[str]
    pending_writes: list[tuple[str, str, Any]]
    tasks: list[Task]
    step: int
    saved_id: str | None
    updated: set[str] | None
    legacy_ids: bool
    frozen_versions: bool
    _ckpt_id: str | None
    _ckpt_step: int
    _max_version: Any
    _padded: bool | None
    _version_number: int | None
    _version_suffix: str | None
    _made_version: tuple[str, int] | None
    _id_bytes: tuple[str, bytes] | None
    # The id ``_put_checkpoint`` made and its time (``stamp``).
    _stamped: tuple[str, int] | None
    _writes_cfg: tuple[str, dict[str, Any]] | None
    _pending_ids: tuple[list[Any], set[str]] | None
    # Tasks that wrote in this run: only their writes are saved at exit.
    written_ids: set[str]
    # Generation of ``pending_writes`` (``_task._make_scratchpad``), and the
    # generations whose list lost the null resume to a task.
    pending_gen: int
    null_taken: set[int]
    # Whether the saver stores a checkpoint and writes in one transaction
    # (``put_step``; set by the driver), and the writes waiting for it.
    saves_steps: bool
    held: list[SaveWrites]
    # Whether async durability may defer making steps durable (the saver has
    # ``flush_steps``; set by the driver), and whether a step waits for that.
    defers_flush: bool
    undurable: bool
    # Whether the saver takes a checkpoint as its changes since the last one
    # saved (``put_changes``; set by the driver); that last one, as (id, the
    # version maps then), and the ``versions_seen`` entries set since.
    header_deltas: bool
    # Set by the sync driver: stores a checkpoint at once when no chunk waits
    # to be handed out first (returns whether it did), saving a trip through
    # the driver; the effect is yielded otherwise. Takes the fields of
    # ``SaveCheckpoint``, so that no effect is made when it stores.
    save_now: Any
    saved_base: tuple[str, dict[str, Any], dict[str, Any]] | None
    seen_changed: set[str]

    def restore(
        self, checkpoint: dict[str, Any], histories: dict[str, Any] | None = None
    ) -> None:
        """Load channels and version maps from a checkpoint record.

        ``histories`` rebuild the delta channels the checkpoint stores no value
        for (see ``_delta_run.load_history``).
        """
        self._ckpt_id = checkpoint["id"]
        self.legacy_ids = checkpoint.get("v", 4) <= 1
        self.versions: dict[str, Any] = dict(checkpoint["channel_versions"])
        self.versions_seen: dict[str, Any] = dict(checkpoint["versions_seen"])
        self._max_version = max(self.versions.values()) if self.versions else None
        self._version_number = None
        self.channels = self.graph.channels_from(
            checkpoint["channel_values"], histories
        )
        self.live = {k for k, ch in self.channels.items() if ch.is_available()}
        # Channels that may hold state, available or not (a half-filled barrier).
        self.touched = set(checkpoint["channel_values"]) | self.live
        # Channels whose version moved since the last save (their blobs are
        # new), with that version.
        self.changed: dict[str, Any] = {}
        self.saved_base = None

    # -- versions ---------------------------------------------------------

    def next_version(self) -> Any:
        """The version the channels changed by this step get (``None``: keep)."""
        if self.frozen_versions:
            return None
        saver = self.checkpointer
        if saver is None:
            current = self._max_version
            return 1 if current is None else current + 1
        padded = self._padded
        if padded is None:
            padded = self._padded = padded_fast_path(type(saver))
        if padded:
            # Same "<n zero-padded>.<random>" format as the saver, without
            # parsing the previous version on every step. The random part only
            # tells runs apart (numbers order the versions of one run), so
            # one per run is drawn.
            number = self._version_number
            if number is None:
                current = self._max_version
                number = 0 if current is None else int(str(current).split(".", 1)[0])
            suffix = self._version_suffix
            if suffix is None:
                suffix = self._version_suffix = f".{random.random():016}"
            digits = str(number + 1)  # zero-padded to 32, without a format spec
            made = f"{_ZEROS[len(digits)]}{digits}{suffix}"
            self._made_version = (made, number + 1)
            return made
        return saver.get_next_version(self._max_version, None)

    def note_version(self, version: Any) -> None:
        """Remember ``version`` as the highest one in use."""
        self._max_version = version
        made = self._made_version
        if made is not None and made[0] is version:
            self._version_number = made[1]
        elif isinstance(version, str):
            self._version_number = int(version[:32]) if version[:32].isdigit() else None

    # -- identity -----------------------------------------------------------

    def _init_checkpointing(self) -> None:
        """Blank checkpoint bookkeeping for a new run (``Loop._setup``)."""
        self._ckpt_id = None
        self._ckpt_step = 0
        # Checkpoints of format 1 (LangGraph before 0.2.x) hashed task ids with
        # SHA-1; tasks planned from one keep those ids so saved writes match.
        self.legacy_ids = False
        self._max_version = None
        self._padded = None  # versions made without the saver
        self._version_number = None
        self._version_suffix = None
        self._made_version = None
        self._id_bytes = None
        self._stamped = None
        self.frozen_versions = False
        self._writes_cfg = None
        self._pending_ids = None
        self.written_ids = set()
        self.pending_gen = 0
        self.null_taken = set()
        self.saves_steps = False
        self.held = []
        self.defers_flush = False
        self.undurable = False
        self.header_deltas = False
        self.save_now = None
        self.write_now = None
        self.untracked = None
        self.saved_base = None
        self.seen_changed = set()

    @property
    def checkpoint_id(self) -> str:
        """Id of the current checkpoint, created on first use when not saving."""
        if self._ckpt_id is None:
            checkpoint_id, raw, _ = stamp(self._ckpt_step)
            self._ckpt_id = checkpoint_id
            self._id_bytes = (checkpoint_id, raw)
        return self._ckpt_id

    @property
    def checkpoint_id_bytes(self) -> bytes:
        """The current checkpoint id as 16 bytes, the namespace of task ids."""
        checkpoint_id = self._ckpt_id  # ``checkpoint_id``, read inline: per task
        if checkpoint_id is None:
            checkpoint_id = self.checkpoint_id
        cached = self._id_bytes
        if cached is None or cached[0] is not checkpoint_id:
            raw = binascii.unhexlify(checkpoint_id.replace("-", ""))
            cached = self._id_bytes = (checkpoint_id, raw)
        return cached[1]

    def _writes_config(self) -> dict[str, Any]:
        # Every task of a step saves against the same checkpoint: build once.
        cached = self._writes_cfg
        if cached is not None and cached[0] is self._ckpt_id:
            return cached[1]
        config = {
            **self.checkpoint_config,
            CONF: {
                **self.checkpoint_config[CONF],
                CONFIG_KEY_CHECKPOINT_NS: self.parent_ns,
                CONFIG_KEY_CHECKPOINT_ID: self.checkpoint_id,
            },
        }
        self._writes_cfg = (self.checkpoint_id, config)
        return config

    def _put_checkpoint(
        self, metadata: dict[str, Any], exiting: bool = False
    ) -> Effects:
        if exiting:
            yield from self._put_exit_checkpoint()
            return
        effect = self.save_step(metadata)
        if effect is not None:
            yield effect
            self._mark_saved(effect.config, effect.checkpoint["id"])
        self.step += 1

    def save_step(self, metadata: dict[str, Any]) -> SaveCheckpoint | None:
        """Make the step's checkpoint, and store it unless durability is exit.

        A plain method, not an effect generator: it runs on every step and
        mostly stores the checkpoint itself (``save_now``). Returns the effect
        to yield when it did not; the caller then marks it saved (``_mark_saved``)
        and counts the step.
        """
        delta = self.delta
        if delta is not None:
            # A fork records no write of its own.
            fork = metadata.get("source") == "fork"
            delta.count(self.metadata, () if fork else self.updated)
        step = self.step
        metadata["step"] = step
        metadata["parents"] = self.config[CONF].get(CONFIG_KEY_CHECKPOINT_MAP, {})
        self.metadata = metadata
        self._ckpt_step = step
        self.legacy_ids = False
        if self.checkpointer is None or self.durability == "exit":
            if delta is not None:
                delta.plan(self, False)
            self._ckpt_id = None
            return None
        # The id, its bytes (task ids hash them) and its time, made together:
        # the record saved below reads them.
        checkpoint_id, raw, now = stamp(step)
        self._ckpt_id = checkpoint_id
        self._id_bytes = (checkpoint_id, raw)
        self._stamped = (checkpoint_id, now)
        return self._save()

    def _put_exit_checkpoint(self) -> Effects:
        if self.checkpoint_id == self.saved_id:
            return
        delta = self.delta
        if delta is not None:
            delta.resume_counters(self.metadata)
            if self.checkpointer is None:
                delta.plan(self, False)
        if self.checkpointer is not None:
            effect = self._save()
            if effect is not None:
                yield effect
                self._mark_saved(effect.config, effect.checkpoint["id"])

    def _save(self) -> SaveCheckpoint | None:
        """Store the step's checkpoint; the effect to yield if not stored yet."""
        due = self.delta.plan(self, True) if self.delta is not None else ()
        checkpoint = self.snapshot(due)
        config = self.checkpoint_config
        conf = config[CONF]
        self.prev_checkpoint_config = (
            config if conf.get(CONFIG_KEY_CHECKPOINT_ID) else None
        )
        if conf.get(CONFIG_KEY_CHECKPOINT_NS) != self.parent_ns:
            conf = {**conf, CONFIG_KEY_CHECKPOINT_NS: self.parent_ns}
            config = {**config, CONF: conf}
        # Channels whose version moved since the last save, with that version.
        new_versions = self.changed
        self.changed = {}
        since = None
        if self.header_deltas:
            # The changes since the last save, if the maps are still the ones
            # it saved (restoring or delta marks replace them); none if this
            # save fails.
            base, self.saved_base = self.saved_base, None
            if (
                base is not None
                and base[1] is self.versions
                and base[2] is self.versions_seen
            ):
                since = (base[0], self.seen_changed)
        self.seen_changed = set()
        held = self.held
        if held:
            self.held = []
        # Async durability lets steps be saved without waiting for the disk;
        # the run makes them durable before it returns (``make_durable``).
        durable = not self.defers_flush or self.durability != "async"
        self.undurable = self.undurable or not durable
        metadata = self.metadata
        save_now = self.save_now
        if save_now is None or not save_now(
            config, checkpoint, metadata, new_versions, held, durable, since
        ):
            # Marked saved once the driver has stored it (``_put_checkpoint``).
            return SaveCheckpoint(
                config, checkpoint, metadata, new_versions, held, durable, since
            )
        self._mark_saved(config, checkpoint["id"])
        return None

    def _mark_saved(self, config: dict[str, Any], checkpoint_id: str) -> None:
        self.saved_id = checkpoint_id
        if self.header_deltas:
            self.saved_base = (checkpoint_id, self.versions, self.versions_seen)
        self.checkpoint_config = {
            **config,
            CONF: {**config[CONF], CONFIG_KEY_CHECKPOINT_ID: checkpoint_id},
        }
        # Tasks of the next step save their writes against this checkpoint.
        self._writes_cfg = (checkpoint_id, self.checkpoint_config)

    def snapshot(self, delta_snapshots: Iterable[str] = ()) -> dict[str, Any]:
        """The checkpoint record of the current channel state.

        ``delta_snapshots`` names the delta channels stored in full this time.
        """
        channels = self.channels
        versions = self.versions
        values = {}
        empty = None
        plain = self.graph.plain_checkpoints
        for k in self.touched:
            # The usual channels' checkpoint is their value: no call for it.
            v = channels[k].value if k in plain else channels[k].checkpoint()
            if v is MISSING:
                if empty is None:
                    empty = [k]
                else:
                    empty.append(k)
            elif k in versions:
                values[k] = v
        if empty is not None:
            self.touched.difference_update(empty)
        checkpoint_id = self._ckpt_id
        if checkpoint_id is None:
            checkpoint_id = self.checkpoint_id
        updated = self.updated
        for k in delta_snapshots:
            values[k] = _delta.snapshot_value(channels[k])
        if TASKS in values and (untracked := self.graph.untracked_channels):
            values[TASKS] = [_sanitize_send(p, untracked) for p in values[TASKS]]
        stamped = self._stamped
        return {
            "v": 4,
            "ts": (
                utc_iso(stamped[1])
                if stamped is not None and stamped[0] is checkpoint_id
                else utc_now_iso()
            ),
            "id": checkpoint_id,
            "channel_values": values,
            # Handed over uncopied: savers run before the next step starts
            # and must not keep references (InMemorySaver copies what it keeps).
            "channel_versions": versions,
            "versions_seen": self.versions_seen,
            "updated_channels": None if updated is None else sorted(updated),
        }

    def make_durable(self) -> Effects:
        """Make the steps saved without waiting for the disk durable (run end)."""
        if self.undurable:
            self.undurable = False
            yield FlushSteps(self.checkpoint_config)

    def flush_held(self) -> Effects:
        """Save the writes held for a checkpoint that will not be saved now."""
        held, self.held = self.held, []
        yield from held

    def put_exit(self) -> Effects:
        """Save the run's last checkpoint and its pending writes (exit durability)."""
        if self.saves_steps and self.checkpointer is not None:
            # One transaction for all of them (when the checkpoint is new).
            self.held.extend(self._put_pending_writes())
            yield from self._put_checkpoint(self.metadata, exiting=True)
            yield from self.flush_held()
            return
        yield from self._put_checkpoint(self.metadata, exiting=True)
        yield from self._put_pending_writes()
