"""``stategraph.pregel.debug`` helpers give LangGraph's results for the same inputs."""

from __future__ import annotations

import copy
import dataclasses
import importlib
from types import SimpleNamespace
from typing import Any

import pytest

LIBS = ("langgraph", "stategraph")

WRITES = [("a", 1), ("b", {"$writes": [0]}), ("a", 2), ("a", 3), ("c", None), ("b", 9)]
CONFIG = {
    "configurable": {
        "thread_id": "t",
        "checkpoint_ns": "",
        "checkpoint_id": "c2",
        "__pregel_send": print,
    },
    "tags": ["x"],
}
METADATA = {"source": "loop", "step": 1, "parents": {"p": "c0"}}


def debug(lib: str) -> Any:
    return importlib.import_module(f"{lib}.pregel.debug")


def interrupt(lib: str, value: Any, id: str) -> Any:
    return importlib.import_module(f"{lib}.types").Interrupt(value=value, id=id)


def tasks() -> list[Any]:
    return [
        SimpleNamespace(
            id=f"t{i}", name=f"n{i}", path=("__pregel_pull", f"n{i}"), subgraphs=sub
        )
        for i, sub in ((1, []), (2, [1]), (3, []), (4, []))
    ]


def pending(lib: str) -> list[tuple[str, str, Any]]:
    return [
        ("t1", "a", 1),
        ("t1", "a", 2),
        ("t1", "b", "x"),
        ("t2", "__interrupt__", [interrupt(lib, "why?", "i1")]),
        ("t3", "__error__", ValueError("boom")),
        ("t4", "__return__", {"r": 1}),
        ("00000000-0000-0000-0000-000000000000", "a", 0),
    ]


def plain(value: Any) -> Any:
    """Library-neutral form: interrupts as dicts, errors as their repr."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, BaseException):
        return repr(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def both(fn: Any) -> tuple[Any, Any]:
    ref, ours = (plain(fn(lib)) for lib in LIBS)
    return ref, ours


def test_folding_writes() -> None:
    # Both fold into the caller's ``$writes`` list, so each gets its own copy.
    ref, ours = both(
        lambda lib: debug(lib).map_task_result_writes(copy.deepcopy(WRITES))
    )
    assert ours == ref
    assert ref["a"] == {"$writes": [1, 2, 3]}
    for value in ({"$writes": []}, {"$writes": 1}, [1], None):
        assert debug("stategraph").is_multiple_channel_write(value) == debug(
            "langgraph"
        ).is_multiple_channel_write(value)


def test_config_helpers() -> None:
    def run(lib: str) -> Any:
        d = debug(lib)
        patched = d.patch_checkpoint_map(CONFIG, METADATA)
        return [
            d.rm_pregel_keys(patched),
            d.rm_pregel_keys(None),
            d.patch_checkpoint_map(None, METADATA),
            d.patch_checkpoint_map(CONFIG, {"parents": {}}) is CONFIG,
        ]

    ref, ours = both(run)
    assert ours == ref
    assert ref[0]["configurable"]["checkpoint_map"] == {"p": "c0", "": "c2"}


@pytest.mark.parametrize("live", [False, True])
@pytest.mark.parametrize("output_keys", ["a", ["a", "b"]])
def test_tasks_with_writes(live: bool, output_keys: Any) -> None:
    def run(lib: str) -> Any:
        d = debug(lib)
        states = {"t2": {"configurable": {"checkpoint_ns": "n2:t2"}}}
        out = d.tasks_w_writes(tasks(), pending(lib), states, output_keys, live=live)
        statuses = d.read_task_statuses(pending(lib))
        return [tuple(t) for t in out], {
            k: (s.finished, s.output, s.interrupts, s.pending_interrupts)
            for k, s in statuses.items()
        }

    ref, ours = both(run)
    assert ours == ref


def test_task_result_and_checkpoint_payloads() -> None:
    def run(lib: str) -> Any:
        d = debug(lib)
        channels = importlib.import_module(f"{lib}.channels")
        chans = {"a": channels.LastValue(int), "b": channels.LastValue(str)}
        chans["a"].update([5])
        writes = [("a", 1), ("__interrupt__", [interrupt(lib, "q", "i9")])]
        result = list(d.map_debug_task_results((tasks()[0], writes), ["a", "b"]))
        checkpoint = d.map_debug_checkpoint(
            CONFIG,
            chans,
            ["a", "b"],
            METADATA,
            tasks(),
            pending(lib),
            None,
            ["a", "b"],
        )
        return result, list(checkpoint), d.read_channels(chans, "b")

    ref, ours = both(run)
    assert ours == ref
    assert ref[1][0]["values"] == {"a": 5}


def test_text_helpers() -> None:
    ref, ours = both(
        lambda lib: (
            [debug(lib).get_colored_text("hi", c) for c in ("red", "gray")]
            + [debug(lib).get_bolded_text("hi")]
        )
    )
    assert ours == ref
