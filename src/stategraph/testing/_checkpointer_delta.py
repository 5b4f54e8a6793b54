"""Conformance cases for ``get_delta_channel_history`` (``DeltaChannel`` support).

Chains are stored with plain ``put``/``put_writes`` calls: a ``_DeltaSnapshot``
(or a plain value, as a thread migrated from a reducer channel has) at known
steps and one write per step, then the history of the head is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base import ChannelVersions
from stategraph.checkpoint.serde.types import _DeltaSnapshot
from stategraph.testing._checkpointer import SaverDriver, case, check
from stategraph.testing._checkpointer_cases import (
    config_of,
    make_checkpoint,
    meta,
    new_thread,
)

CAPABILITY = "delta_channel_history"


async def delta_chain(
    d: SaverDriver,
    thread: str,
    steps: int,
    stored: Callable[[int], dict[str, Any]],
    writes: Callable[[int], list[tuple[str, Any]]],
) -> list[RunnableConfig]:
    """Store ``steps`` chained checkpoints; ``stored(step)`` are its values.

    A channel with a stored value gets version ``step + 1``; ``writes(step)``
    go on the checkpoint of that step.
    """
    configs: list[RunnableConfig] = []
    for step in range(steps):
        parent = configs[-1]["configurable"]["checkpoint_id"] if configs else None
        values = stored(step)
        versions: ChannelVersions = dict.fromkeys(values, step + 1)
        checkpoint = make_checkpoint(values, versions)
        saved = await d.put(
            config_of(thread, "", parent), checkpoint, meta(step), versions
        )
        configs.append(saved)
        if step_writes := writes(step):
            await d.put_writes(saved, step_writes, str(uuid4()))
    return configs


def _values(history: Any, channel: str) -> list[Any]:
    return [w[2] for w in history[channel]["writes"]]


def _seed(history: Any, channel: str) -> Any:
    seed = history[channel].get("seed")
    return seed.value if isinstance(seed, _DeltaSnapshot) else seed


@case(CAPABILITY)
async def case_writes_oldest_first_from_snapshot(d: SaverDriver) -> None:
    configs = await delta_chain(
        d,
        new_thread(),
        5,
        lambda s: {"ch": _DeltaSnapshot(s)} if s == 0 else {},
        lambda s: [("ch", s)],
    )
    history = await d.get_delta_channel_history(configs[-1], ["ch"])
    # The head's own writes belong to its future child: never replayed.
    got = _values(history, "ch")
    check(got == [0, 1, 2, 3], f"expected writes [0, 1, 2, 3], got {got}")
    check(_seed(history, "ch") == 0, f"expected seed 0, got {history['ch']}")


@case(CAPABILITY)
async def case_nearest_snapshot_is_the_seed(d: SaverDriver) -> None:
    configs = await delta_chain(
        d,
        new_thread(),
        6,
        lambda s: {"ch": _DeltaSnapshot(s)} if s in (0, 3) else {},
        lambda s: [("ch", s)],
    )
    history = await d.get_delta_channel_history(configs[-1], ["ch"])
    check(_seed(history, "ch") == 3, f"expected seed 3, got {history['ch']}")
    got = _values(history, "ch")
    check(got == [3, 4], f"expected the seed's own and later writes, got {got}")


@case(CAPABILITY)
async def case_no_seed_walks_to_the_root(d: SaverDriver) -> None:
    configs = await delta_chain(d, new_thread(), 4, lambda s: {}, lambda s: [("ch", s)])
    history = await d.get_delta_channel_history(configs[-1], ["ch"])
    check("seed" not in history["ch"], f"expected no seed, got {history['ch']}")
    got = _values(history, "ch")
    check(got == [0, 1, 2], f"expected [0, 1, 2], got {got}")


@case(CAPABILITY)
async def case_channels_stop_independently(d: SaverDriver) -> None:
    def stored(step: int) -> dict[str, Any]:
        return (
            {"a": _DeltaSnapshot("A")}
            if step == 1
            else ({"b": _DeltaSnapshot("B")} if step == 3 else {})
        )

    configs = await delta_chain(
        d, new_thread(), 5, stored, lambda s: [("a", s), ("b", s), ("other", s)]
    )
    history = await d.get_delta_channel_history(configs[-1], ["a", "b"])
    check(set(history) == {"a", "b"}, f"expected channels a and b, got {set(history)}")
    check(_values(history, "a") == [1, 2, 3], f"a: got {history['a']}")
    check(_values(history, "b") == [3], f"b: got {history['b']}")
    check((_seed(history, "a"), _seed(history, "b")) == ("A", "B"), "wrong seeds")


@case(CAPABILITY)
async def case_plain_value_seeds_a_migrated_thread(d: SaverDriver) -> None:
    configs = await delta_chain(
        d,
        new_thread(),
        4,
        lambda s: {"ch": [10] * s} if s in (0, 1) else {},
        lambda s: [("ch", f"w{s}")],
    )
    history = await d.get_delta_channel_history(configs[-1], ["ch"])
    check(_seed(history, "ch") == [10], f"expected seed [10], got {history['ch']}")
    got = _values(history, "ch")
    check(got == ["w1", "w2"], f"expected ['w1', 'w2'], got {got}")


@case(CAPABILITY)
async def case_versioned_channel_without_value_is_no_seed(d: SaverDriver) -> None:
    # A delta channel written between snapshots has a version but no value.
    thread = new_thread()
    configs = await delta_chain(
        d, thread, 2, lambda s: {"ch": _DeltaSnapshot("S")} if s == 0 else {},
        lambda s: [("ch", s)],
    )  # fmt: skip
    checkpoint = make_checkpoint({}, {"ch": 7})
    parent = configs[-1]["configurable"]["checkpoint_id"]
    middle = await d.put(config_of(thread, "", parent), checkpoint, meta(2), {"ch": 7})
    await d.put_writes(middle, [("ch", 2)], str(uuid4()))
    head = await d.put(
        config_of(thread, "", middle["configurable"]["checkpoint_id"]),
        make_checkpoint({}, {"ch": 8}), meta(3), {"ch": 8},
    )  # fmt: skip
    history = await d.get_delta_channel_history(head, ["ch"])
    check(_seed(history, "ch") == "S", f"expected seed 'S', got {history['ch']}")
    check(_values(history, "ch") == [0, 1, 2], f"got {history['ch']}")


@case(CAPABILITY)
async def case_writes_of_a_step_follow_task_path(d: SaverDriver) -> None:
    thread = new_thread()
    first = await d.put(
        config_of(thread), make_checkpoint({"ch": _DeltaSnapshot([])}, {"ch": 1}),
        meta(0), {"ch": 1},
    )  # fmt: skip
    await d.put_writes(first, [("ch", "second")], str(uuid4()), "~__pregel_pull, b")
    await d.put_writes(first, [("ch", "first")], str(uuid4()), "~__pregel_pull, a")
    head = await d.put(
        config_of(thread, "", first["configurable"]["checkpoint_id"]),
        make_checkpoint(), meta(1), {},
    )  # fmt: skip
    history = await d.get_delta_channel_history(head, ["ch"])
    got = _values(history, "ch")
    check(got == ["first", "second"], f"expected task-path order, got {got}")


@case(CAPABILITY)
async def case_only_the_parent_chain_counts(d: SaverDriver) -> None:
    thread = new_thread()
    configs = await delta_chain(
        d, thread, 2, lambda s: {"ch": _DeltaSnapshot("S")} if s == 0 else {},
        lambda s: [("ch", s)],
    )  # fmt: skip
    # A sibling branch off the root: its writes are not on the head's path.
    root = configs[0]["configurable"]["checkpoint_id"]
    sibling = await d.put(config_of(thread, "", root), make_checkpoint(), meta(1), {})
    await d.put_writes(sibling, [("ch", "sibling")], str(uuid4()))
    head = await d.put(
        config_of(thread, "", configs[-1]["configurable"]["checkpoint_id"]),
        make_checkpoint(), meta(2), {},
    )  # fmt: skip
    history = await d.get_delta_channel_history(head, ["ch"])
    check(_values(history, "ch") == [0, 1], f"got {history['ch']}")


@case(CAPABILITY)
async def case_no_channels_no_entries(d: SaverDriver) -> None:
    configs = await delta_chain(d, new_thread(), 2, lambda s: {}, lambda s: [("ch", s)])
    history = await d.get_delta_channel_history(configs[-1], [])
    check(dict(history) == {}, f"expected an empty mapping, got {history}")
