"""Conformance cases for thread maintenance.

Covers ``delete_thread``, ``delete_for_runs``, ``copy_thread`` and ``prune``.
"""

from __future__ import annotations

from uuid import uuid4

from stategraph.testing._checkpointer import SaverDriver, case, check
from stategraph.testing._checkpointer_cases import (
    cid,
    config_of,
    must_get,
    new_thread,
    put_chain,
)


async def _ids(d: SaverDriver, thread: str, ns: str = "") -> list[str]:
    return [cid(t.config) for t in await d.list(config_of(thread, ns))]


@case("delete_thread")
async def case_delete_thread(d: SaverDriver) -> None:
    thread, other = new_thread(), new_thread()
    root = await put_chain(d, thread, 2)
    await put_chain(d, thread, 1, ns="child:1")
    await put_chain(d, other, 1)
    await d.put_writes(root[-1], [("ch", "v")], "task")
    await d.delete_thread(thread)
    check(await d.get_tuple(config_of(thread)) is None, "root namespace survived")
    check(
        await d.get_tuple(config_of(thread, "child:1")) is None,
        "child namespace survived",
    )
    check(await d.list(config_of(thread)) == [], "checkpoints still listed")
    check(await d.get_tuple(config_of(other)) is not None, "another thread was deleted")
    await d.delete_thread(new_thread())  # unknown threads are fine


@case("delete_for_runs")
async def case_delete_for_runs(d: SaverDriver) -> None:
    thread = new_thread()
    keep, drop1, drop2 = str(uuid4()), str(uuid4()), str(uuid4())
    first = (await put_chain(d, thread, 1, run_id=drop1))[0]
    await d.put_writes(first, [("ch", "v")], "task")
    await put_chain(d, thread, 1, run_id=drop2)
    await put_chain(d, thread, 1, ns="child:1", run_id=drop1)
    kept = (await put_chain(d, thread, 1, run_id=keep))[0]
    await d.delete_for_runs([drop1, drop2])
    runs = {t.metadata.get("run_id") for t in await d.list(config_of(thread))}
    check(runs == {keep}, f"runs left: {runs!r}")
    check(await d.get_tuple(first) is None, "deleted checkpoint still readable")
    check(
        await d.list(config_of(thread, "child:1")) == [], "child namespace kept the run"
    )
    check(
        (await must_get(d, kept)).checkpoint["channel_values"] == {"step": 0},
        "kept values lost",
    )
    await d.delete_for_runs([])
    await d.delete_for_runs([str(uuid4())])


@case("copy_thread")
async def case_copy_thread(d: SaverDriver) -> None:
    source, target = new_thread(), new_thread()
    root = await put_chain(d, source, 3)
    await put_chain(d, source, 1, ns="child:1")
    await d.put_writes(root[-1], [("ch", "v")], "task")
    before = await _ids(d, source)
    await d.copy_thread(source, target)
    check(await _ids(d, source) == before, "source changed")
    check(await _ids(d, target) == before, "copied checkpoints differ")
    check(len(await _ids(d, target, "child:1")) == 1, "child namespace not copied")
    latest = await must_get(d, config_of(target))
    check(latest.pending_writes == [("task", "ch", "v")], "writes not copied")
    check(latest.checkpoint["channel_values"] == {"step": 2}, "values not copied")
    check(latest.metadata.get("step") == 2, "metadata not copied")
    parent = latest.parent_config
    check(
        parent is not None and parent["configurable"]["thread_id"] == target,
        "parent not on target",
    )
    empty = new_thread()
    await d.copy_thread(new_thread(), empty)
    check(
        await d.list(config_of(empty)) == [],
        "copying an unknown thread made checkpoints",
    )


@case("prune")
async def case_prune_keep_latest(d: SaverDriver) -> None:
    thread, other = new_thread(), new_thread()
    root = await put_chain(d, thread, 3)
    child = await put_chain(d, thread, 2, ns="child:1")
    others = await put_chain(d, other, 2)
    await d.put_writes(root[-1], [("ch", "v")], "task")
    await d.prune([thread], strategy="keep_latest")
    check(
        await _ids(d, thread) == [cid(root[-1])], "root namespace not pruned to latest"
    )
    check(
        await _ids(d, thread, "child:1") == [cid(child[-1])],
        "child namespace not pruned",
    )
    latest = await must_get(d, root[-1])
    check(latest.pending_writes == [("task", "ch", "v")], "latest writes lost")
    check(latest.checkpoint["channel_values"] == {"step": 2}, "latest values lost")
    check(len(await _ids(d, other)) == len(others), "another thread was pruned")
    await d.prune([], strategy="keep_latest")
    await d.prune([new_thread()], strategy="keep_latest")


@case("prune")
async def case_prune_delete(d: SaverDriver) -> None:
    thread, other = new_thread(), new_thread()
    await put_chain(d, thread, 2)
    await put_chain(d, other, 1)
    await d.prune([thread], strategy="delete")
    check(await _ids(d, thread) == [], "delete strategy kept checkpoints")
    check(len(await _ids(d, other)) == 1, "another thread was deleted")
