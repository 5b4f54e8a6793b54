"""Checkpoint state of a run: channels restored, versions, ids of checkpoints.

The part of ``Loop`` that ``_saving`` builds saved records from: the version
maps, the next version to hand out, and the current checkpoint's id (and the
bytes task ids are hashed from).
"""

from __future__ import annotations

import binascii
import random
from typing import TYPE_CHECKING, Any

from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
)
from stategraph._engine._pending import PendingWrites
from stategraph.checkpoint.base._step import padded_fast_path
from stategraph.checkpoint.base.id import stamp

if TYPE_CHECKING:
    from stategraph._engine._delta_run import DeltaRun
    from stategraph._engine._effects import SaveWrites
    from stategraph._engine._task import Task

# Zeros padding a version number of each length to 32 digits.
_ZEROS = ["0" * (32 - n) for n in range(33)]


class CheckpointState(PendingWrites):
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
    # Set by the sync driver for an ``InMemorySaver``: (its ``step_writer``,
    # the chunks waiting to be handed out), and the writer made for this run.
    steps_to: tuple[Any, Any] | None
    step_writer: Any
    checkpoint_failed: bool

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
        self.steps_to = None
        self.step_writer = None
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
