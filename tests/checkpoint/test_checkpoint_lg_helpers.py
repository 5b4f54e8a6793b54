"""LangGraph's checkpoint helper functions behave as LangGraph's on the same inputs.

Covers ``checkpoint.sqlite.utils`` (SQL for LangGraph's SQLite layout), the
delta-history helpers ``checkpoint.sqlite`` re-exports, the serde event hooks
(and the events ``JsonPlusSerializer`` reports), ``InvalidModuleError`` and
the constants of ``checkpoint.postgres.base``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import ormsgpack
import pytest

from stategraph.checkpoint.serde.jsonplus import (
    EXT_METHOD_SINGLE_ARG,
    DeserializationError,
    InvalidModuleError,
    JsonPlusSerializer,
)

LIBS = ("langgraph", "stategraph")


def _both(module: str, name: str) -> tuple[Any, Any]:
    return tuple(  # type: ignore[return-value]
        getattr(importlib.import_module(f"{lib}.{module}"), name) for lib in LIBS
    )


class _Opaque:
    def __str__(self) -> str:
        return "opaque!"


CONFIGS: list[Any] = [
    None,
    {"configurable": {"thread_id": "t"}},
    {"configurable": {"thread_id": "t", "checkpoint_ns": ""}},
    {"configurable": {"thread_id": 7, "checkpoint_ns": "sub:1", "checkpoint_id": "c"}},
    {"configurable": {"thread_id": "t", "checkpoint_id": ""}},
]
FILTERS: list[Any] = [
    None,
    {},
    {"source": "loop", "step": 1, "score": 1.5, "ok": True, "gone": None},
    {"obj": {"a": [1, 2], "b": "x"}, "lst": [1, "two"], "raw": _Opaque()},
    {"dotted.key-1": 0},
]
BEFORE: list[Any] = [None, {"configurable": {"checkpoint_id": "c9"}}]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("filter_", FILTERS)
@pytest.mark.parametrize("before", BEFORE)
def test_search_where_matches_langgraph(config: Any, filter_: Any, before: Any) -> None:
    theirs, ours = _both("checkpoint.sqlite.utils", "search_where")
    expected = theirs(config, filter_, before)
    got = ours(config, filter_, before)
    assert got == expected
    assert list(got[1]) == list(expected[1])


@pytest.mark.parametrize("key", ["a'b", "a b", "", "x)--", "ü"])
def test_search_where_refuses_unsafe_keys_as_langgraph(key: str) -> None:
    errors = []
    for fn in _both("checkpoint.sqlite.utils", "search_where"):
        with pytest.raises(ValueError, match="Invalid filter key") as info:
            fn(None, {key: 1})
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_search_where_without_thread_id_raises_as_langgraph() -> None:
    for fn in _both("checkpoint.sqlite.utils", "search_where"):
        with pytest.raises(KeyError):
            fn({"configurable": {}}, None)


@pytest.mark.parametrize("has_task_path", [True, False])
def test_pending_writes_sql_matches_langgraph(has_task_path: bool) -> None:
    theirs, ours = _both("checkpoint.sqlite.utils", "pending_writes_sql")
    assert ours(has_task_path) == theirs(has_task_path)


def test_load_pending_writes_matches_langgraph() -> None:
    serde = JsonPlusSerializer()

    def row(task: str, channel: str, value: Any, path: str, idx: int) -> tuple:
        type_, blob = serde.dumps_typed(value)
        return (task, channel, type_, blob, path, idx)

    rows = [
        row("t2", "a", 1, "~b", 0),
        row("t1", "b", {"x": [1]}, "~a", 1),
        row("t1", "a", None, "~a", 0),
        row("t0", "c", "s", "~b", -1),
    ]
    theirs, ours = _both("checkpoint.sqlite.utils", "load_pending_writes")
    assert ours(rows, serde) == theirs(rows, serde)
    assert [w[0] for w in ours(rows, serde)] == ["t1", "t1", "t0", "t2"]


@pytest.mark.parametrize("chain_lens", [[], [0], [2], [1, 3, 0]])
@pytest.mark.parametrize("has_task_path", [True, False])
def test_build_delta_stage2_sql_matches_langgraph(
    chain_lens: list[int], has_task_path: bool
) -> None:
    theirs, ours = _both("checkpoint.sqlite", "build_delta_stage2_sql")
    kwargs = {"chain_lens": chain_lens, "has_task_path": has_task_path}
    assert ours(**kwargs) == theirs(**kwargs)


def _checkpoint_rows(serde: JsonPlusSerializer, ids: list[str]) -> list[tuple]:
    """Rows ``(id, type, blob)``; ``a`` stored at c0, ``b`` at c2 and c0."""
    values = {"c0": {"a": [0], "b": "b0"}, "c2": {"b": "b2", "z": 1}}
    rows = []
    for cid in ids:
        type_, blob = serde.dumps_typed({"id": cid, "channel_values": values.get(cid)})
        rows.append((cid, type_, blob))
    return rows


def _walk(
    step: Callable[..., bool], rows: list[tuple], channels: list[str], **state: Any
) -> tuple[list[bool], dict[str, Any]]:
    state = {
        "chain_by_ch": {ch: [] for ch in channels},
        "seed_val_by_ch": {},
        "walk_state": {},
        "seeded": set(state.get("seeded", ())),
    }
    stops = []
    for cid, type_, blob in rows:
        stops.append(
            step(
                cid=cid,
                type_tag=type_,
                blob=blob,
                target_id="c3",
                serde=JsonPlusSerializer(),
                channels=channels,
                **state,
            )
        )
        if stops[-1]:
            break
    return stops, state


WALKS = [
    (["x", "c3", "c2", "c1", "c0"], ["a", "b"], ()),
    (["c3", "c2", "c1", "c0"], ["b"], ()),
    (["c3", "c1", "c1", "c0"], ["a"], ()),  # a loop stops the walk
    (["c3", "c1"], ["a", "q"], ()),  # root reached unseeded
    (["c3", "c2"], ["a"], ("a",)),  # already seeded: nothing to walk
    (["c9", "c8"], ["a"], ()),  # target never seen
]


@pytest.mark.parametrize(("ids", "channels", "seeded"), WALKS)
def test_step_walk_with_row_matches_langgraph(
    ids: list[str], channels: list[str], seeded: tuple[str, ...]
) -> None:
    rows = _checkpoint_rows(JsonPlusSerializer(), ids)
    results = [
        _walk(step, rows, channels, seeded=seeded)
        for step in _both("checkpoint.sqlite", "step_walk_with_row")
    ]
    assert results[1] == results[0]


def test_build_delta_channels_writes_history_matches_langgraph() -> None:
    serde = JsonPlusSerializer()

    def write(cid: str, ch: str, task: str, idx: int, value: Any, path: str) -> tuple:
        return (cid, ch, task, idx, *serde.dumps_typed(value), path)

    rows = [
        write("c1", "a", "t2", 0, 10, "~b"),
        write("c2", "a", "t1", 0, 20, "~a"),
        write("c1", "a", "t1", 1, 11, "~a"),
        write("c1", "a", "t1", 0, 12, "~a"),
        write("c2", "b", "t1", 0, "b", "~a"),
        write("c2", "x", "t1", 0, "unasked", "~a"),
    ]
    kwargs: dict[str, Any] = {
        "channels": ["a", "b", "c"],
        "chain_by_ch": {"a": ["c2", "c1"], "b": ["c2"]},
        "seed_val_by_ch": {"a": [1], "b": None},
        "seeded": {"a", "b"},
        "stage2_rows": rows,
        "serde": serde,
    }
    theirs, ours = _both("checkpoint.sqlite", "build_delta_channels_writes_history")
    got = ours(**kwargs)
    assert got == theirs(**kwargs)
    assert [w[2] for w in got["a"]["writes"]] == [12, 11, 10, 20]
    assert "seed" not in got["c"]


@dataclass
class Point:
    x: int
    y: int


@pytest.fixture(params=LIBS)
def serde_events(request: pytest.FixtureRequest) -> Iterator[tuple[Any, list[Any]]]:
    """A library's ``jsonplus`` module and the serde events reported meanwhile."""
    hooks = importlib.import_module(f"{request.param}.checkpoint.serde.event_hooks")
    jsonplus = importlib.import_module(f"{request.param}.checkpoint.serde.jsonplus")
    events: list[Any] = []
    unregister = hooks.register_serde_event_listener(events.append)
    yield jsonplus, events
    unregister()
    unregister()  # a second call is a no-op


def test_strict_load_of_an_unlisted_type_reports_each_block(
    serde_events: tuple[Any, list[Any]],
) -> None:
    jsonplus, events = serde_events
    data = jsonplus.JsonPlusSerializer().dumps_typed(Point(1, 2))
    strict = jsonplus.JsonPlusSerializer(allowed_msgpack_modules=None)
    assert strict.loads_typed(data) == strict.loads_typed(data) == {"x": 1, "y": 2}
    blocked = {"kind": "msgpack_blocked", "module": __name__, "name": "Point"}
    assert events == [blocked, blocked]


def test_lenient_load_of_an_unregistered_type_reports_it(
    serde_events: tuple[Any, list[Any]],
) -> None:
    jsonplus, events = serde_events
    serde = jsonplus.JsonPlusSerializer(allowed_msgpack_modules=True)
    assert serde.loads_typed(serde.dumps_typed(Point(1, 2))) == Point(1, 2)
    allowed = {"kind": "msgpack_unregistered_allowed", "module": __name__}
    assert events == [{**allowed, "name": "Point"}]


def test_a_foreign_method_is_reported(serde_events: tuple[Any, list[Any]]) -> None:
    jsonplus, events = serde_events
    call = ("datetime", "datetime", "2024-01-01T00:00:00", "fromtimestamp")
    data = ormsgpack.packb(ormsgpack.Ext(EXT_METHOD_SINGLE_ARG, ormsgpack.packb(call)))
    # LangGraph loads the plain argument, stategraph refuses the payload; both
    # report the refused method.
    with contextlib.suppress(DeserializationError):
        jsonplus.JsonPlusSerializer().loads_typed(("msgpack", data))
    assert events == [
        {
            "kind": "msgpack_method_blocked",
            "module": "datetime",
            "name": "datetime",
            "method": "fromtimestamp",
        }
    ]


def test_listed_types_report_nothing(serde_events: tuple[Any, list[Any]]) -> None:
    jsonplus, events = serde_events
    serde = jsonplus.JsonPlusSerializer(allowed_msgpack_modules=[Point])
    assert serde.loads_typed(serde.dumps_typed(Point(1, 2))) == Point(1, 2)
    assert events == []


@pytest.mark.parametrize("lib", LIBS)
def test_a_failing_listener_is_logged_and_skipped(
    lib: str, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = importlib.import_module(f"{lib}.checkpoint.serde.event_hooks")
    seen: list[Any] = []

    def broken(event: Any) -> None:
        raise RuntimeError("listener bug")

    remove = [
        hooks.register_serde_event_listener(broken),
        hooks.register_serde_event_listener(seen.append),
    ]
    event = {"kind": "msgpack_blocked", "module": "m", "name": "n"}
    try:
        with caplog.at_level(logging.WARNING):
            hooks.emit_serde_event(event)
    finally:
        for unregister in remove:
            unregister()
    hooks.emit_serde_event(event)  # nobody listens any more
    assert seen == [event]
    failures = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [str(exc) for exc in failures] == ["listener bug"]


def test_a_refused_json_constructor_raises_invalid_module_error() -> None:
    payload = b'{"lc": 2, "type": "constructor", "id": ["os", "system"], "kwargs": {}}'
    with pytest.raises(InvalidModuleError) as info:
        JsonPlusSerializer().loads_typed(("json", payload))
    assert isinstance(info.value, DeserializationError)
    assert "os" in info.value.message
    assert str(info.value) == info.value.message


def test_postgres_base_constants_match_langgraph() -> None:
    theirs, ours = _both("checkpoint.postgres.base", "PRUNE_STRATEGIES")
    assert ours == theirs
    theirs, ours = _both("checkpoint.postgres.base", "MIGRATIONS")
    # Same version numbering: a database migrated by one is current for the other.
    assert len(ours) == len(theirs)
    theirs, ours = _both("checkpoint.postgres.base", "BasePostgresSaver")
    assert (
        ours.MIGRATIONS
        is importlib.import_module("stategraph.checkpoint.postgres.base").MIGRATIONS
    )
