"""``Runtime`` helpers and ``get_runtime``, checked on both libraries alike."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import pytest
from typing_extensions import TypedDict


class S(TypedDict):
    log: list[Any]


@dataclasses.dataclass
class Ctx:
    user: str


@pytest.mark.parametrize("lib", ["langgraph", "stategraph"])
def test_patch_execution_info(lib: str) -> None:
    runtime_mod = importlib.import_module(f"{lib}.runtime")
    info = runtime_mod.ExecutionInfo(checkpoint_id="c", checkpoint_ns="", task_id="t")
    runtime = runtime_mod.Runtime(execution_info=info)
    patched = runtime.patch_execution_info(node_attempt=2, run_id="r")
    assert (patched.execution_info.node_attempt, patched.execution_info.run_id) == (
        2,
        "r",
    )
    assert patched.execution_info.task_id == "t"
    assert runtime.execution_info.node_attempt == 1  # the original is unchanged
    with pytest.raises(RuntimeError, match="before it has been set"):
        runtime_mod.Runtime().patch_execution_info(node_attempt=2)


def _observe(lib: str, mode: str) -> list[Any]:
    graph_mod = importlib.import_module(f"{lib}.graph")
    runtime_mod = importlib.import_module(f"{lib}.runtime")
    config_mod = importlib.import_module(f"{lib}.config")
    store = importlib.import_module(f"{lib}.store.memory").InMemoryStore()

    def node(state: S, runtime: runtime_mod.Runtime[Ctx]) -> S:  # type: ignore[name-defined]
        found = runtime_mod.get_runtime(Ctx)
        info = found.execution_info
        return {
            "log": [
                found.context.user,
                found.store is store,
                config_mod.get_store() is store,
                found.context == runtime.context,
                info.checkpoint_ns.split(":")[0],
                info.node_attempt,
            ]
        }

    builder = graph_mod.StateGraph(S, context_schema=Ctx)
    builder.add_node("node", node)
    builder.add_edge(graph_mod.START, "node")
    graph = builder.compile(store=store)
    if mode == "sync":
        out = graph.invoke({"log": []}, context=Ctx("ada"))
    else:
        import asyncio

        out = asyncio.run(graph.ainvoke({"log": []}, context=Ctx("ada")))
    try:
        runtime_mod.get_runtime()
    except RuntimeError as exc:
        return [out, str(exc)]
    return [out, None]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_get_runtime_inside_and_outside_a_run(mode: str) -> None:
    ours = _observe("stategraph", mode)
    assert ours == _observe("langgraph", mode)
    assert ours[0] == {"log": ["ada", True, True, True, "node", 1]}
    assert ours[1] is not None  # outside a run it raises


@pytest.mark.parametrize("lib", ["langgraph", "stategraph"])
def test_runtime_fields_are_keyword_only(lib: str) -> None:
    runtime_mod = importlib.import_module(f"{lib}.runtime")
    assert runtime_mod.Runtime(context=1).context == 1
    with pytest.raises(TypeError):
        runtime_mod.Runtime(1)
