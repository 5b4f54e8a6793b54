"""User transformers, argument checks and early exit, on both libraries.

Transformer classes are defined per library (each subclasses that library's
``StreamTransformer``), then the recordings are compared.
"""

from __future__ import annotations

from typing import Any

import programs
import pytest
from _lib import Lib
from _v3 import V3, Call


def _counter_class(lib: Lib) -> Any:
    """A transformer counting updates on a named channel ``count``."""
    stream = lib.module("stream")

    class Counter(stream.StreamTransformer):  # type: ignore[misc,name-defined]
        required_stream_modes = ("updates",)

        def init(self) -> dict[str, Any]:
            self.count = stream.StreamChannel("count")
            self.seen = 0
            return {"count": self.count}

        def process(self, event: Any) -> bool:
            if event["method"] == "updates" and not event["params"]["namespace"]:
                self.seen += 1
                self.count.push({"n": self.seen, "scope": list(self.scope)})
            return True

    return Counter


def _redactor_class(lib: Lib) -> Any:
    """A ``before_builtins`` transformer that rewrites custom payloads."""
    stream = lib.module("stream")

    class Redact(stream.StreamTransformer):  # type: ignore[misc,name-defined]
        before_builtins = True
        required_stream_modes = ("custom",)

        def init(self) -> dict[str, Any]:
            return {}

        def process(self, event: Any) -> bool:
            if event["method"] == "custom":
                event["params"]["data"] = {"redacted": True}
            # Drop the event from the log; projections still saw it.
            return bool(event["method"] != "custom")

    return Redact


def counting(lib: Lib) -> tuple[Any, list[Call]]:
    graph, calls = programs.nested(lib)
    extra = [_counter_class(lib), lib.module("stream").CustomTransformer]
    return graph, [(a, {**kw, "transformers": extra}) for a, kw in calls]


def redacting(lib: Lib) -> tuple[Any, list[Call]]:
    graph, calls = programs.linear(lib)
    extra = [lib.module("stream").CustomTransformer, _redactor_class(lib)]
    return graph, [(a, {**kw, "transformers": extra}) for a, kw in calls]


def test_named_channel_is_forwarded_as_custom_event(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        count = v3.cursor(run.extensions["count"])
        return {**await v3.events(run), "count": await v3.drain(count)}

    ref, ours = v3.both(counting, read)
    assert ours == ref
    forwarded = [e for e in ours[0]["events"] if e["method"] == "custom:count"]
    assert [e["params"]["data"]["n"] for e in forwarded] == [1, 2, 3]
    assert forwarded[0]["params"]["namespace"] == []


def test_before_builtins_transformer_runs_first(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return await v3.projections(run, ("custom",))

    ref, ours = v3.both(redacting, read)
    assert ours == ref
    assert ours[0]["custom"] == [{"redacted": True}] * 3


def test_log_without_dropped_events(v3: V3) -> None:
    ref, ours = v3.both(redacting, lambda v3, run: v3.events(run))
    assert ours == ref
    assert "custom" not in {e["method"] for e in ours[0]["events"]}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stream_mode": ["values"]},
        {"subgraphs": False},
        {"transformers": ["not callable"]},
    ],
    ids=["stream_mode", "subgraphs", "not-callable"],
)
def test_bad_arguments_raise_the_same_error(v3: V3, kwargs: dict[str, Any]) -> None:
    def build(lib: Lib) -> tuple[Any, list[Call]]:
        graph, calls = programs.linear(lib)
        return graph, [(a, {**kw, **kwargs}) for a, kw in calls]

    ref, ours = v3.both(build, lambda v3, run: v3.events(run))
    assert ours == ref
    assert ours[0]["raised"]["__exc__"] == "TypeError"


def test_prebuilt_transformer_is_refused(v3: V3) -> None:
    def build(lib: Lib) -> tuple[Any, list[Call]]:
        graph, calls = programs.linear(lib)
        instance = lib.module("stream").UpdatesTransformer(())
        return graph, [(a, {**kw, "transformers": [instance]}) for a, kw in calls]

    ref, ours = v3.both(build, lambda v3, run: v3.events(run))
    assert ours == ref
    assert "pre-built instance UpdatesTransformer" in ours[0]["raised"]["str"]


def test_async_only_transformer_needs_the_async_api(v3: V3) -> None:
    def build(lib: Lib) -> tuple[Any, list[Call]]:
        stream = lib.module("stream")

        class Slow(stream.StreamTransformer):  # type: ignore[misc,name-defined]
            def init(self) -> dict[str, Any]:
                return {}

            async def aprocess(self, event: Any) -> bool:
                return True

        graph, calls = programs.linear(lib)
        return graph, [(a, {**kw, "transformers": [Slow]}) for a, kw in calls]

    ref, ours = v3.both(build, lambda v3, run: v3.events(run))
    assert ours == ref
    if v3.mode == "sync":
        assert ours[0]["raised"]["__exc__"] == "RuntimeError"
    else:
        assert ours[0]["output"] == {"log": ["a", "b", "c"]}


def test_leaving_early_stops_the_graph(v3: V3) -> None:
    ran: list[str] = []

    def build(lib: Lib) -> tuple[Any, list[Call]]:
        def node(name: str) -> Any:
            def run(state: Any) -> dict[str, Any]:
                ran.append(f"{lib.name}:{name}")
                return {"log": [name]}

            return run

        nodes = {n: node(n) for n in ("a", "b", "c")}
        return programs._chain(lib, ["a", "b", "c"], nodes).compile(), [
            (({"log": []},), {})
        ]

    async def read(v3: V3, run: Any) -> Any:
        if v3.mode == "sync":
            with run:
                values = iter(run.values)
                seen = [next(values), next(values)]
        else:
            async with run:
                avalues = aiter(run.values)
                seen = [await anext(avalues), await anext(avalues)]
        return {"seen": seen, "after": await v3.outcome(run)}

    ref, ours = v3.both(build, read)
    assert ours == ref
    assert ours[0]["seen"] == [{"log": []}, {"log": ["a"]}]
    # The output is what was seen when the run was stopped.
    assert ours[0]["after"] == {"log": ["a"]}
    assert ran == ["langgraph:a", "stategraph:a"]
