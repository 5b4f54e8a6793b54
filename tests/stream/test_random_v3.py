"""Random graphs (the differential generator) give the same v3 observations.

v3 always streams subgraphs, which LangGraph's sync runner does with its
tasks racing on a thread pool; so the comparison is order-free where that race
shows (the multiset of events per namespace and method, and of lifecycle
payloads) and ordered where it cannot (each namespace's ``values``, the output
and the interrupts). Graphs whose nodes raise are left out: which siblings of
a failing task ran depends on the same race.
"""

from __future__ import annotations

from typing import Any

import pytest
from _gen import build, gen_spec
from _lib import Lib
from _norm import Normalizer, render
from _v3 import V3, Call

SEEDS = range(60)


def _program(seed: int, *, saved: bool) -> Any:
    spec = gen_spec(seed, interrupts=saved)

    def program(lib: Lib) -> tuple[Any, list[Call]]:
        checkpointer = lib.InMemorySaver() if saved else None
        graph = build(lib, spec, checkpointer=checkpointer)
        config: dict[str, Any] = {"recursion_limit": spec["recursion_limit"]}
        if saved:
            config["configurable"] = {"thread_id": "t"}
        return graph, [((spec["input"], config), {})]

    return spec, program


async def read(v3: V3, run: Any) -> Any:
    recorded = await v3.events(run)
    erase = Normalizer(erase_ids=True)
    by_key: dict[str, list[str]] = {}
    values: dict[str, list[Any]] = {}
    for event in recorded["events"]:
        params = event["params"]
        key = f"{event['method']} {erase(params['namespace'])}"
        by_key.setdefault(key, []).append(render(erase(params["data"])))
        if event["method"] == "values":
            # Per namespace (task ids kept apart): its own steps are ordered.
            values.setdefault(repr(params["namespace"]), []).append(params["data"])
    return {
        "events": {k: sorted(v) for k, v in sorted(by_key.items())},
        "values": sorted(render(erase(seq)) for seq in values.values()),
        **{k: v for k, v in recorded.items() if k != "events"},
    }


def _seeds(*, saved: bool) -> list[int]:
    """Seeds whose graphs never raise (see the module docstring)."""
    return [
        seed
        for seed in SEEDS
        if all(
            n.get("raise_at") is None for n in _program(seed, saved=saved)[0]["nodes"]
        )
    ]


@pytest.mark.parametrize(
    ("seed", "saved"),
    [(seed, False) for seed in _seeds(saved=False)]
    + [(seed, True) for seed in _seeds(saved=True)],
    ids=lambda v: v if isinstance(v, int) else ("saved" if v else "plain"),
)
def test_random_graph_v3(v3: V3, seed: int, saved: bool) -> None:
    _, program = _program(seed, saved=saved)
    ref, ours = v3.both(program, read)
    assert ours == ref, f"seed={seed} saved={saved}"
