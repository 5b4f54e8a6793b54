"""A node with a timeout must be async all the way down, or building the graph fails."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.runnables import RunnableLambda, RunnableParallel

from stategraph.channels import EphemeralValue, LastValue
from stategraph.pregel import NodeBuilder, Pregel
from stategraph.types import TimeoutPolicy


async def _async_add(value: int) -> int:
    return value + 1


def _sync_add(value: int) -> int:
    return value + 1


def _build(node: Any) -> Pregel:
    return Pregel(
        nodes={"n": node},
        channels={"input": EphemeralValue(int), "output": LastValue(object)},
        input_channels="input",
        output_channels="output",
    )


def _node(bound: Any, *writers: Any) -> Any:
    builder = NodeBuilder().subscribe_only("input").do(bound)
    for writer in writers:
        builder = builder.do(writer)
    return builder.set_timeout(TimeoutPolicy(run_timeout=1)).write_to("output")


@pytest.mark.parametrize(
    "node",
    [
        pytest.param(lambda: _node(RunnableLambda(_sync_add)), id="sync-lambda"),
        pytest.param(
            lambda: _node(RunnableLambda(_async_add) | RunnableLambda(_sync_add)),
            id="sync-step-in-sequence",
        ),
        pytest.param(
            lambda: _node(
                RunnableParallel(
                    a=RunnableLambda(_async_add), b=RunnableLambda(_sync_add)
                )
            ),
            id="sync-parallel-branch",
        ),
    ],
)
def test_timeout_on_partly_sync_node_is_refused(node: Any) -> None:
    with pytest.raises(ValueError, match="only supported for async nodes"):
        _build(node())


@pytest.mark.asyncio
async def test_timeout_on_async_runnables_is_accepted() -> None:
    bound = RunnableParallel(a=RunnableLambda(_async_add), b=RunnableLambda(_async_add))
    graph = _build(_node(bound))
    assert await graph.ainvoke(1) == {"a": 2, "b": 2}
