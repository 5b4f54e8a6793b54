"""Generative UI messages (``graph.ui``) behave as in LangGraph.

The same graph runs on the reference and on the library under test; the
``custom`` + ``values`` stream and the final state must be equal.
"""

from __future__ import annotations

import importlib
import itertools
import random
import uuid
from typing import Annotated, Any

import pytest
from _lib import REFERENCE, sut_name
from langchain_core.callbacks import BaseCallbackHandler
from typing_extensions import TypedDict

# Config-derived metadata that differs outside traced runs (see ``_normalise``).
_RUN_KEYS = ("run_id", "name", "tags")


class _Quiet(BaseCallbackHandler):
    """A handler that records nothing; its presence makes the run traced."""


def _build(lib: str, is_async: bool) -> Any:
    ui = importlib.import_module(f"{lib}.graph.ui")
    graph = importlib.import_module(f"{lib}.graph")

    # Functional form: the reducer is a local, which string annotations miss.
    reduced = Annotated[list[Any], ui.ui_message_reducer]
    State = TypedDict("State", {"ui": reduced, "extra_ui": reduced, "n": int})  # type: ignore[misc]  # noqa: UP013

    def first(state: State) -> dict[str, Any]:
        ui.push_ui_message("card", {"a": 1, "keep": 0}, id="w1", message=_Msg("m1"))
        ui.push_ui_message("auto", {"z": 0}, message={"id": "m2", "type": "ai"})
        ui.push_ui_message("doomed", {"q": 1}, id="w2", metadata={"extra": 1})
        return {"n": state["n"] + 1}

    def second_sync(state: State) -> dict[str, Any]:
        ui.push_ui_message("card", {"a": 2, "b": 2}, id="w1", merge=True)
        ui.push_ui_message("streamed-only", {}, id="s1", state_key=None)
        ui.push_ui_message("other", {"c": 3}, id="w3", state_key="extra_ui")
        ui.delete_ui_message("w2")
        return {"n": state["n"] + 1}

    async def second_async(state: State) -> dict[str, Any]:
        return second_sync(state)

    builder = graph.StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("second", second_async if is_async else second_sync)
    builder.add_edge(graph.START, "first")
    builder.add_edge("first", "second")
    return builder.compile(), ui


class _Msg:
    """A message object: only its ``id`` is read."""

    def __init__(self, id: str) -> None:
        self.id = id


def _normalise(chunks: list[Any]) -> list[Any]:
    # Outside a traced run our node config still carries run_name/run_id and
    # an empty tags list where LangGraph's has none (an engine difference in
    # the task config, not in graph.ui); the traced case compares them as-is.
    def clean(msg: Any) -> Any:
        if isinstance(msg, dict) and msg.get("type") == "ui":
            md = {k: v for k, v in msg["metadata"].items() if k not in _RUN_KEYS}
            return {**msg, "metadata": md}
        if isinstance(msg, dict):
            return {k: clean(v) for k, v in msg.items()}
        if isinstance(msg, list):
            return [clean(m) for m in msg]
        if isinstance(msg, tuple):
            return tuple(clean(m) for m in msg)
        return msg

    return [clean(c) for c in chunks]


async def _run(lib: str, is_async: bool, traced: bool, mp: pytest.MonkeyPatch) -> Any:
    app, ui = _build(lib, is_async)
    counter = itertools.count()
    mp.setattr(ui, "uuid4", lambda: uuid.UUID(int=next(counter)))
    config: dict[str, Any] = {"run_name": "outer", "run_id": uuid.UUID(int=7)}
    if traced:
        config.update(callbacks=[_Quiet()], tags=["t1"])
    inp = {"ui": [], "extra_ui": [], "n": 0}
    modes = ["custom", "values"]
    if is_async:
        chunks = [c async for c in app.astream(inp, config, stream_mode=modes)]
        final = await app.ainvoke(inp, config)
    else:
        chunks = list(app.stream(inp, config, stream_mode=modes))
        final = app.invoke(inp, config)
    return chunks, final


@pytest.mark.asyncio
@pytest.mark.parametrize("traced", [True, False], ids=["traced", "untraced"])
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_ui_messages_stream_and_state_match(
    is_async: bool, traced: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = await _run(REFERENCE, is_async, traced, monkeypatch)
    ours = await _run(sut_name(), is_async, traced, monkeypatch)
    if not traced:
        ref, ours = _normalise(list(ref)), _normalise(list(ours))
    assert ours == ref
    chunks, final = ref
    assert [m["id"] for m in final["ui"]] == ["w1", str(uuid.UUID(int=1))]
    assert final["ui"][0]["props"] == {"a": 2, "keep": 0, "b": 2}
    assert ("custom", {"type": "remove-ui", "id": "w2"}) in chunks


def _random_messages(rng: random.Random, ids: list[str], removals: bool) -> list[Any]:
    out: list[Any] = []
    for _ in range(rng.randint(0, 5)):
        mid = rng.choice(ids)
        if removals and rng.random() < 0.3:
            out.append({"type": "remove-ui", "id": mid})
        else:
            props = {rng.choice("abc"): rng.randint(0, 9)}
            md = {"merge": rng.random() < 0.5}
            out.append(
                {"type": "ui", "id": mid, "name": "x", "props": props, "metadata": md}
            )
    return out


def test_reducer_matches_on_random_sequences() -> None:
    ref = importlib.import_module(f"{REFERENCE}.graph.ui").ui_message_reducer
    ours = importlib.import_module(f"{sut_name()}.graph.ui").ui_message_reducer
    rng = random.Random(0)
    errors = 0
    for _ in range(500):
        ids = ["1", "2", "3"]
        # The state (left) holds UI messages; removals arrive as updates.
        left = _random_messages(rng, ids, removals=False)
        right = _random_messages(rng, ids, removals=True)
        if rng.random() < 0.2 and right:
            right = right[0]  # a single message, not a list
        try:
            expected: Any = ref(left, right)
        except ValueError as e:
            expected = ("ValueError", str(e))
            errors += 1
        try:
            got: Any = ours(left, right)
        except ValueError as e:
            got = ("ValueError", str(e))
        assert got == expected, (left, right)
    assert errors > 0  # the removal of an unknown id was exercised
