"""A failing task stops its async step without breaking the saver's connection.

Siblings still running are cancelled once; a sibling that already finished
and is saving its writes is left to finish (LangGraph saves them from a
callback nobody cancels). Cancelling psycopg mid-query, or twice, makes it
close the connection: a pipelined saver was unusable after any failed step.
"""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.graph import StateGraph


class State(TypedDict):
    count: Annotated[int, operator.add]


def _node(i: int) -> Callable[[State], Any]:
    async def node(state: State) -> State:
        await asyncio.sleep(0)  # let the siblings start
        if i == 0:
            raise RuntimeError("node 0 failed")
        return {"count": 1}

    return node


def _wide(saver: Any, width: int = 20) -> Any:
    builder = StateGraph(State)
    for i in range(width):
        builder.add_node(f"n{i}", _node(i))
        builder.add_edge("__start__", f"n{i}")
    return builder.compile(checkpointer=saver)


@pytest.mark.asyncio
async def test_a_failed_step_leaves_a_pipelined_saver_usable(
    schemas: Callable[[], str],
) -> None:
    dsn = schemas()
    async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
        await saver.setup()
    async with AsyncPostgresSaver.from_conn_string(dsn, pipeline=True) as saver:
        config = {"configurable": {"thread_id": "1"}}
        with pytest.raises(RuntimeError, match=r"^node 0 failed\nDuring task"):
            await _wide(saver).ainvoke({"count": 0}, config)
        assert not saver.conn.closed
        state = await _wide(saver).aget_state(config)
        # Every sibling had finished its node: all keep their writes (as in
        # LangGraph), so a resume runs only the failed one.
        assert [(t.name, t.error is None, t.result) for t in state.tasks] == [
            ("n0", False, None),
            *[(f"n{i}", True, {"count": 1}) for i in range(1, 20)],
        ]
        other = {"configurable": {"thread_id": "2"}}
        builder = StateGraph(State)
        builder.add_node("one", lambda s: {"count": 1})
        builder.add_edge("__start__", "one")
        assert await builder.compile(checkpointer=saver).ainvoke(
            {"count": 0}, other
        ) == {"count": 1}
