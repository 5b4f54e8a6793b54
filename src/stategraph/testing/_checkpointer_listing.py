"""Conformance cases for pending writes and listing: ``put_writes`` and ``list``."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from stategraph._config import RunnableConfig
from stategraph._constants import ERROR, INTERRUPT
from stategraph.testing._checkpointer import SaverDriver, case, check
from stategraph.testing._checkpointer_cases import (
    cid,
    config_of,
    must_get,
    new_thread,
    put_chain,
)

# -- put_writes -----------------------------------------------------------------


@case("put_writes")
async def case_pending_writes_visible_and_ordered(d: SaverDriver) -> None:
    stored = (await put_chain(d, new_thread(), 1))[0]
    await d.put_writes(stored, [("b", 1), ("a", {"x": 2})], "task-2", "path-b")
    await d.put_writes(stored, [("c", [3])], "task-1", "path-a")
    writes = (await must_get(d, stored)).pending_writes
    expected = [("task-1", "c", [3]), ("task-2", "b", 1), ("task-2", "a", {"x": 2})]
    check(writes == expected, f"pending writes {writes!r} != {expected!r}")


@case("put_writes")
async def case_regular_writes_are_kept(d: SaverDriver) -> None:
    stored = (await put_chain(d, new_thread(), 1))[0]
    await d.put_writes(stored, [("ch", "first")], "task")
    await d.put_writes(stored, [("ch", "second"), ("other", 1)], "task")
    writes = (await must_get(d, stored)).pending_writes
    check(
        writes == [("task", "ch", "first"), ("task", "other", 1)],
        f"regular writes replaced: {writes!r}",
    )


@case("put_writes")
async def case_special_writes_are_replaced(d: SaverDriver) -> None:
    stored = (await put_chain(d, new_thread(), 1))[0]
    await d.put_writes(stored, [(ERROR, "first"), (INTERRUPT, {"n": 1})], "task")
    await d.put_writes(stored, [(ERROR, "second")], "task")
    got = {(t, c): v for t, c, v in (await must_get(d, stored)).pending_writes or []}
    check(
        got == {("task", ERROR): "second", ("task", INTERRUPT): {"n": 1}},
        f"special writes: {got!r}",
    )


@case("put_writes")
async def case_writes_belong_to_one_checkpoint(d: SaverDriver) -> None:
    thread = new_thread()
    first, second = await put_chain(d, thread, 2)
    child = (await put_chain(d, thread, 1, ns="child:1"))[0]
    await d.put_writes(first, [("ch", "old")], "task")
    await d.put_writes(child, [("ch", "child")], "task")
    check(
        (await must_get(d, second)).pending_writes == [],
        "writes leaked to the next checkpoint",
    )
    check(
        (await must_get(d, child)).pending_writes == [("task", "ch", "child")],
        "namespace writes mixed",
    )
    check(
        (await must_get(d, first)).pending_writes == [("task", "ch", "old")],
        "writes lost",
    )


# -- list -----------------------------------------------------------------------


async def _ids(
    d: SaverDriver, config: RunnableConfig | None, **kwargs: Any
) -> list[str]:
    return [cid(t.config) for t in await d.list(config, **kwargs)]


@case("list")
async def case_newest_first(d: SaverDriver) -> None:
    thread = new_thread()
    configs = await put_chain(d, thread, 4)
    expected = [cid(c) for c in reversed(configs)]
    check(await _ids(d, config_of(thread)) == expected, "not listed newest first")
    check(await _ids(d, config_of(str(uuid4()))) == [], "unknown thread listed")


@case("list")
async def case_filters(d: SaverDriver) -> None:
    thread = new_thread()
    ids = [cid(c) for c in await put_chain(d, thread, 4)]
    by_step = await _ids(d, config_of(thread), filter={"step": 1})
    check(by_step == [ids[1]], f"filter step=1 gave {by_step!r}")
    both = await _ids(d, config_of(thread), filter={"step": 2, "source": "loop"})
    check(both == [ids[2]], "multi-key filter failed")
    check(
        await _ids(d, config_of(thread), filter={"source": "nope"}) == [],
        "filter matched nothing-like",
    )


@case("list")
async def case_before_and_limit(d: SaverDriver) -> None:
    thread = new_thread()
    ids = [cid(c) for c in await put_chain(d, thread, 4)]
    before = config_of(thread, "", ids[2])
    check(
        await _ids(d, config_of(thread), before=before) == [ids[1], ids[0]],
        "before failed",
    )
    check(await _ids(d, config_of(thread), limit=2) == [ids[3], ids[2]], "limit failed")
    check(
        await _ids(d, config_of(thread), before=before, limit=1) == [ids[1]],
        "before+limit failed",
    )
    check(
        await _ids(d, config_of(thread, "", ids[1])) == [ids[1]],
        "checkpoint_id did not narrow",
    )


@case("list")
async def case_namespaces_and_all_threads(d: SaverDriver) -> None:
    thread = new_thread()
    root = await put_chain(d, thread, 2)
    child = await put_chain(d, thread, 1, ns="child:1")
    check(
        await _ids(d, config_of(thread, "")) == [cid(root[1]), cid(root[0])],
        "root listing",
    )
    check(
        await _ids(d, config_of(thread, "child:1")) == [cid(child[0])], "child listing"
    )
    everything = set(await _ids(d, None, filter={"step": 0}))
    check({cid(root[0]), cid(child[0])} <= everything, "list(None) missed checkpoints")


@case("list")
async def case_listed_tuples_are_complete(d: SaverDriver) -> None:
    thread = new_thread()
    first, second = await put_chain(d, thread, 2)
    await d.put_writes(second, [("ch", "v")], "task")
    listed = await d.list(config_of(thread), limit=1)
    check(len(listed) == 1, "limit=1 returned another count")
    item = listed[0]
    check(item.pending_writes == [("task", "ch", "v")], "listed writes missing")
    check(
        item.parent_config is not None and cid(item.parent_config) == cid(first),
        "listed parent missing",
    )
    check(item.checkpoint["channel_values"] == {"step": 1}, "listed values missing")
