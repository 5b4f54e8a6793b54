"""Graph nodes reach the compiled store: ``store`` parameter, ``runtime.store``
and ``get_store()``; the same program on LangGraph gives the same results."""

from __future__ import annotations

from typing import Any

import pytest
from typing_extensions import TypedDict


class State(TypedDict):
    user: str
    notes: list[str]


def build(lib: str) -> Any:
    if lib == "langgraph":
        from langgraph.config import get_store
        from langgraph.graph import END, START, StateGraph
        from langgraph.runtime import Runtime
        from langgraph.store.base import BaseStore
        from langgraph.store.memory import InMemoryStore
    else:
        from stategraph.config import get_store
        from stategraph.graph import END, START, StateGraph
        from stategraph.runtime import Runtime
        from stategraph.store.base import BaseStore
        from stategraph.store.memory import InMemoryStore

    def remember(state: State, *, store: BaseStore) -> dict[str, Any]:
        store.put(("notes", state["user"]), "first", {"text": "hello"})
        return {}

    def recall(state: State, runtime: Runtime[None]) -> dict[str, Any]:
        assert runtime.store is not None
        found = runtime.store.search(("notes", state["user"]))
        return {"notes": [item.value["text"] for item in found]}

    def count(state: State) -> dict[str, Any]:
        names = get_store().list_namespaces(prefix=("notes",))
        return {"notes": [*state["notes"], f"{len(names)} namespace(s)"]}

    builder = StateGraph(State)
    builder.add_node("remember", remember)
    builder.add_node("recall", recall)
    builder.add_node("count", count)
    builder.add_edge(START, "remember")
    builder.add_edge("remember", "recall")
    builder.add_edge("recall", "count")
    builder.add_edge("count", END)
    store = InMemoryStore()
    return builder.compile(store=store), store


@pytest.mark.parametrize("lib", ["langgraph", "stategraph"])
def test_nodes_reach_the_store(driver: Any, lib: str) -> None:
    graph, store = build(lib)
    out = driver.invoke(graph, {"user": "u1", "notes": []})
    assert out == {"user": "u1", "notes": ["hello", "1 namespace(s)"]}
    item = store.get(("notes", "u1"), "first")
    assert item is not None
    assert item.value == {"text": "hello"}


def test_same_as_langgraph(driver: Any) -> None:
    outs = [
        driver.invoke(build(lib)[0], {"user": "u2", "notes": []})
        for lib in ("langgraph", "stategraph")
    ]
    assert outs[0] == outs[1]


def test_async_store_in_async_graph() -> None:
    import asyncio

    from stategraph.graph import END, START, StateGraph
    from stategraph.store.base import BaseStore
    from stategraph.store.sqlite.aio import AsyncSqliteStore

    async def write(state: State, *, store: BaseStore) -> dict[str, Any]:
        await store.aput(("n",), state["user"], {"text": "async"})
        item = await store.aget(("n",), state["user"])
        assert item is not None
        return {"notes": [item.value["text"]]}

    async def main() -> Any:
        async with AsyncSqliteStore.from_conn_string(":memory:") as store:
            builder = StateGraph(State)
            builder.add_node("write", write)
            builder.add_edge(START, "write")
            builder.add_edge("write", END)
            graph = builder.compile(store=store)
            return await graph.ainvoke({"user": "u3", "notes": []})

    assert asyncio.run(main()) == {"user": "u3", "notes": ["async"]}
