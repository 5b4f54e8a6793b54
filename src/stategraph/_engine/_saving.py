"""Checkpoints of a run: restoring channels, versions, saving steps and writes.

The part of ``Loop`` that builds what savers store (checkpoint records, pending
writes, channel versions) and the effects that store them; like the rest of the
loop it performs no I/O itself.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

from stategraph._clock import utc_iso, utc_now_iso
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    TASKS,
)
from stategraph._engine import _delta
from stategraph._engine._ckpt_state import CheckpointState
from stategraph._engine._effects import FlushSteps, SaveCheckpoint
from stategraph._engine._pending import _sanitize_send
from stategraph._engine._save_errors import _keep as keep_failure
from stategraph.channels.base import MISSING
from stategraph.checkpoint.base.id import stamp, uuid6_str
from stategraph.errors import GraphBubbleUp

Effects = Generator[Any, Any, Any]


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


class Checkpointing(CheckpointState):
    """Saving of a ``Loop``'s checkpoints and writes (mixed into it)."""

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
        if self.steps_to is not None and self._save_fast(checkpoint_id, now, metadata):
            return None
        self._stamped = (checkpoint_id, now)  # the time ``snapshot`` writes
        return self._save()

    def _save_fast(self, checkpoint_id: str, now: int, metadata: Any) -> bool:
        """Store the step's checkpoint through the saver's ``StepWriter``.

        ``False`` when ``_save`` must: not a plain change to the checkpoint
        saved last, delta channels, ``Send``s, held writes, chunks waiting.
        """
        base = self.saved_base
        steps_to = self.steps_to
        if (
            steps_to is None
            or base is None
            or base[1] is not self.versions
            or base[2] is not self.versions_seen
            or self.delta is not None
            or self.held
            or self.checkpoint_failed
            or steps_to[1]  # chunks wait: the driver hands them out first
            or TASKS in self.changed
        ):
            return False
        writer = self.step_writer
        if writer is None:
            writer = self.step_writer = steps_to[0](self.checkpoint_config)
            if writer is None:
                self.steps_to = None
                return False
        channels = self.channels
        plain = self.graph.plain_checkpoints
        new_versions = self.changed
        values = {}  # ``MISSING`` for a channel now empty
        for k in new_versions:
            values[k] = channels[k].value if k in plain else channels[k].checkpoint()
        updated = self.updated
        head = (
            utc_iso(now),
            checkpoint_id,
            None if updated is None else sorted(updated),
        )
        seen_names = self.seen_changed
        self.changed = {}
        self.seen_changed = set()
        config = self.checkpoint_config
        self.prev_checkpoint_config = config
        try:
            writer.put(
                head, base[0], new_versions, values, self.versions,
                self.versions_seen, seen_names, metadata,
            )  # fmt: skip
        except GraphBubbleUp:
            raise
        except Exception as exc:
            keep_failure(self, exc, True)
        self.saved_id = checkpoint_id  # ``_mark_saved``, inline
        self.saved_base = (checkpoint_id, self.versions, self.versions_seen)
        config = self.checkpoint_config = {
            **config,
            CONF: {**config[CONF], CONFIG_KEY_CHECKPOINT_ID: checkpoint_id},
        }
        self._writes_cfg = (checkpoint_id, config)
        return True

    def _write_now(self, writes: list[Any], task_id: str, path: str) -> None:
        """Store a task's writes at once, against the current checkpoint.

        Through the run's ``StepWriter`` once it stored that checkpoint (no
        config to read), else with the driver's ``write_now``. A failure is
        kept for the run, as the save guard does (``_save_errors``).
        """
        writer = self.step_writer
        checkpoint_id = self._ckpt_id
        if (
            writer is not None
            and writer.stores_writes
            and checkpoint_id is self.saved_id
        ):
            try:
                writer.put_writes(checkpoint_id, writes, task_id, path)
            except GraphBubbleUp:
                raise
            except Exception as exc:
                keep_failure(self, exc, False)
            return
        made = self._writes_cfg  # ``_writes_config()``'s cache, inline
        if made is None or made[0] is not checkpoint_id:
            made = ("", self._writes_config())
        self.write_now(made[1], writes, task_id, path)

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
