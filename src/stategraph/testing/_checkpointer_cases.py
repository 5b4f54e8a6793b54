"""Conformance cases for storing and reading checkpoints (``put``, ``get_tuple``).

Also holds the helpers the other case modules share. Cases follow the
behaviour of LangGraph's ``InMemorySaver``; each gets a fresh saver and uses
new thread ids, so savers with shared storage also pass.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    uuid6,
)
from stategraph.testing._checkpointer import SaverDriver, case, check


def new_thread() -> str:
    """Return a thread id no other case uses."""
    return f"conformance-{uuid4()}"


def make_checkpoint(
    values: dict[str, Any] | None = None,
    versions: ChannelVersions | None = None,
    seen: dict[str, ChannelVersions] | None = None,
) -> Checkpoint:
    """Build a checkpoint with a fresh id; versions default to ``1`` per value."""
    values = values or {}
    checkpoint: Checkpoint = {
        "v": 1,
        "id": str(uuid6(clock_seq=-1)),
        "ts": datetime.now(timezone.utc).isoformat(),
        "channel_values": values,
        "channel_versions": versions
        if versions is not None
        else dict.fromkeys(values, 1),
        "versions_seen": seen or {},
        "updated_channels": None,
    }
    return checkpoint


def config_of(
    thread: str, ns: str = "", checkpoint_id: str | None = None
) -> RunnableConfig:
    """Build a config for a thread, namespace and optional checkpoint id."""
    configurable: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def meta(step: int = 0, source: str = "loop", **extra: Any) -> CheckpointMetadata:
    """Build checkpoint metadata."""
    return {"source": source, "step": step, "parents": {}, **extra}  # type: ignore[typeddict-item]


def cid(config: RunnableConfig | None) -> str:
    """Return the checkpoint id of a config."""
    check(config is not None, "expected a config, got None")
    assert config is not None
    value: str = config["configurable"]["checkpoint_id"]
    return value


async def put_chain(
    d: SaverDriver, thread: str, n: int, ns: str = "", **extra: Any
) -> list[RunnableConfig]:
    """Store ``n`` checkpoints, each the child of the previous; return their configs."""
    stored: list[RunnableConfig] = []
    for step in range(n):
        parent = cid(stored[-1]) if stored else None
        config = config_of(thread, ns, parent)
        checkpoint = make_checkpoint({"step": step})
        stored.append(await d.put(config, checkpoint, meta(step, **extra), {"step": 1}))
    return stored


async def must_get(d: SaverDriver, config: RunnableConfig) -> CheckpointTuple:
    """Fetch a tuple that must exist."""
    found = await d.get_tuple(config)
    check(found is not None, f"no checkpoint for {config}")
    assert found is not None
    return found


def same_version(actual: Any, expected: Any) -> bool:
    """Compare versions, allowing savers to turn numbers into strings."""
    return str(actual).split(".")[0] == str(expected).split(".")[0]


# -- put / get_tuple ------------------------------------------------------------


@case("put")
async def case_returns_config(d: SaverDriver) -> None:
    thread = new_thread()
    checkpoint = make_checkpoint()
    stored = await d.put(config_of(thread, "child:1"), checkpoint, meta(), {})
    conf = stored["configurable"]
    check(conf["thread_id"] == thread, "returned thread_id differs")
    check(conf["checkpoint_ns"] == "child:1", "returned checkpoint_ns differs")
    check(conf["checkpoint_id"] == checkpoint["id"], "returned checkpoint_id differs")


@case("put")
async def case_roundtrip_values(d: SaverDriver) -> None:
    values = {
        "text": "héllo",
        "int": 42,
        "float": 1.5,
        "flag": True,
        "list": [1, "a", None],
        "nested": {"a": {"b": [1, 2]}},
        "raw": b"\x00\x01",
    }
    stored = await d.put(
        config_of(new_thread()),
        make_checkpoint(values),
        meta(),
        dict.fromkeys(values, 1),
    )
    found = await must_get(d, stored)
    check(found.checkpoint["channel_values"] == values, "channel values changed")


@case("put")
async def case_roundtrip_fields(d: SaverDriver) -> None:
    versions: ChannelVersions = {"a": 3, "b": 5}
    seen: dict[str, ChannelVersions] = {"node": {"a": 3}, "other": {"b": 1}}
    checkpoint = make_checkpoint({"a": 1, "b": 2}, versions, seen)
    stored = await d.put(config_of(new_thread()), checkpoint, meta(), versions)
    got = (await must_get(d, stored)).checkpoint
    check(got["id"] == checkpoint["id"] and got["v"] == 1, "id or v changed")
    check(got["ts"] == checkpoint["ts"], "ts changed")
    check(
        all(same_version(got["channel_versions"][k], v) for k, v in versions.items()),
        "versions changed",
    )
    check(got["versions_seen"].keys() == seen.keys(), "versions_seen nodes changed")
    for node, chans in seen.items():
        check(
            all(
                same_version(got["versions_seen"][node][k], v) for k, v in chans.items()
            ),
            f"versions_seen[{node!r}] changed",
        )


@case("put")
async def case_roundtrip_metadata(d: SaverDriver) -> None:
    run_id = str(uuid4())
    md = meta(3, "update", run_id=run_id, score=7, label="x")
    stored = await d.put(config_of(new_thread()), make_checkpoint(), md, {})
    got = (await must_get(d, stored)).metadata
    for key, value in md.items():
        check(
            got.get(key) == value, f"metadata[{key!r}]: {got.get(key)!r} != {value!r}"
        )


@case("put")
async def case_metadata_takes_config_scalars(d: SaverDriver) -> None:
    config = config_of(new_thread())
    config["configurable"].update(user="u1", __private="no", nested={"x": 1})
    config["metadata"] = {"origin": "api"}
    stored = await d.put(config, make_checkpoint(), meta(), {})
    got = (await must_get(d, stored)).metadata
    check(
        got.get("user") == "u1" and got.get("origin") == "api", "config scalars missing"
    )
    check(
        "__private" not in got and "nested" not in got,
        "non-scalar or private key copied",
    )
    check("thread_id" not in got and "checkpoint_ns" not in got, "reserved keys copied")


@case("put")
async def case_parent_link(d: SaverDriver) -> None:
    first, second = await put_chain(d, new_thread(), 2)
    check((await must_get(d, first)).parent_config is None, "root has a parent")
    parent = (await must_get(d, second)).parent_config
    check(parent is not None and cid(parent) == cid(first), "parent link lost")


@case("put")
async def case_only_new_versions_are_stored(d: SaverDriver) -> None:
    thread = new_thread()
    first = await d.put(
        config_of(thread),
        make_checkpoint({"a": "a1", "b": "b1"}),
        meta(0),
        {"a": 1, "b": 1},
    )
    checkpoint = make_checkpoint(
        {"a": "a2", "b": "b1", "c": "c1"}, {"a": 2, "b": 1, "c": 1}
    )
    second = await d.put(
        config_of(thread, "", cid(first)), checkpoint, meta(1), {"a": 2, "c": 1}
    )
    got = (await must_get(d, second)).checkpoint["channel_values"]
    check(got == {"a": "a2", "b": "b1", "c": "c1"}, f"mixed versions loaded as {got!r}")
    old = (await must_get(d, first)).checkpoint["channel_values"]
    check(old == {"a": "a1", "b": "b1"}, f"older checkpoint changed to {old!r}")


@case("put")
async def case_dropped_and_empty_channels(d: SaverDriver) -> None:
    thread = new_thread()
    first = await d.put(
        config_of(thread), make_checkpoint({"a": 1, "b": 2}), meta(0), {"a": 1, "b": 1}
    )
    checkpoint = make_checkpoint({"a": 3}, {"a": 2, "e": 1})
    second = await d.put(
        config_of(thread, "", cid(first)), checkpoint, meta(1), {"a": 2, "e": 1}
    )
    got = (await must_get(d, second)).checkpoint["channel_values"]
    check(got == {"a": 3}, f"dropped or empty channels loaded: {got!r}")


@case("put")
async def case_stored_state_is_isolated(d: SaverDriver) -> None:
    items, doc, tags = [1, 2], {"k": "v"}, ["t"]
    checkpoint = make_checkpoint({"items": items, "doc": doc})
    md = meta(0, tags=tags)
    stored = await d.put(
        config_of(new_thread()), checkpoint, md, {"items": 1, "doc": 1}
    )
    items.append(3)
    doc["k"] = "changed"
    checkpoint["channel_versions"]["items"] = 99
    tags.append("u")
    found = await must_get(d, stored)
    check(
        found.checkpoint["channel_values"] == {"items": [1, 2], "doc": {"k": "v"}},
        "values alias caller objects",
    )
    check(
        same_version(found.checkpoint["channel_versions"]["items"], 1),
        "versions alias caller dict",
    )
    check(found.metadata.get("tags") == ["t"], "metadata aliases caller objects")
    found.checkpoint["channel_values"]["items"].append(4)
    again = await must_get(d, stored)
    check(
        again.checkpoint["channel_values"]["items"] == [1, 2],
        "returned values alias storage",
    )


@case("get_tuple")
async def case_missing_returns_none(d: SaverDriver) -> None:
    thread = new_thread()
    check(await d.get_tuple(config_of(thread)) is None, "unknown thread found")
    await put_chain(d, thread, 1)
    check(
        await d.get_tuple(config_of(thread, "", str(uuid6()))) is None,
        "unknown id found",
    )
    check(
        await d.get_tuple(config_of(thread, "other")) is None, "unknown namespace found"
    )


@case("get_tuple")
async def case_latest_and_by_id(d: SaverDriver) -> None:
    thread = new_thread()
    configs = await put_chain(d, thread, 3)
    latest = await must_get(d, config_of(thread))
    check(cid(latest.config) == cid(configs[-1]), "latest is not the newest checkpoint")
    check(latest.metadata.get("step") == 2, "latest has wrong metadata")
    conf = latest.config["configurable"]
    check(
        conf["thread_id"] == thread and conf["checkpoint_ns"] == "",
        "config shape differs",
    )
    first = await must_get(d, configs[0])
    check(
        cid(first.config) == cid(configs[0])
        and first.checkpoint["id"] == cid(configs[0]),
        "lookup by id failed",
    )


@case("get_tuple")
async def case_namespaces_are_separate(d: SaverDriver) -> None:
    thread = new_thread()
    root = (await put_chain(d, thread, 1))[0]
    child = (await put_chain(d, thread, 2, ns="child:1"))[-1]
    check(
        cid((await must_get(d, config_of(thread))).config) == cid(root),
        "root sees child",
    )
    got = await must_get(d, config_of(thread, "child:1"))
    check(cid(got.config) == cid(child), "child namespace lost")
    check(
        got.config["configurable"]["checkpoint_ns"] == "child:1",
        "namespace not returned",
    )
