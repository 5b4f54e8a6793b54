"""LangChain callbacks for graph runs: tracing and chat-model token streaming.

Loaded only when langchain-core is in use. A run that has callbacks (given in
its config, from LangSmith tracing, or needed by ``stream_mode="messages"``)
opens a chain run for the graph and one per node attempt, as LangGraph does;
a node's config carries callbacks that are children of its run, so chat models
called inside report to the same tree and stream their tokens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.callbacks.manager import (
    AsyncCallbackManager,
    AsyncCallbackManagerForChainRun,
    CallbackManager,
    CallbackManagerForChainRun,
)
from langchain_core.runnables.config import var_child_runnable_config
from langchain_core.tracers.context import _tracing_v2_is_enabled

from stategraph._constants import CONF
from stategraph.pregel._messages import StreamMessagesHandler

HANDLER_KEY = "__stategraph_messages_handler"
"""Config key of the run's messages handler, shared with its subgraphs."""


def wanted(config: dict[str, Any], modes: set[str]) -> bool:
    """Whether a run needs callbacks at all (the cheap check comes first)."""
    if config.get("callbacks") or "messages" in modes:
        return True
    return bool(_tracing_v2_is_enabled())


def messages_handler(
    config: dict[str, Any], modes: set[str], put: Callable[[Any], None], subgraphs: bool
) -> StreamMessagesHandler | None:
    """The handler streaming chat-model tokens for this run, if it streams messages.

    A subgraph streams into its parent's handler; only a run that asks for
    ``messages`` itself (the root, or a nested ``stream(stream_mode=...)``)
    brings its own.
    """
    if "messages" not in modes:
        return None
    parent = config[CONF].get(HANDLER_KEY)
    if parent is not None and "__pregel_task_id" in config[CONF]:
        return None
    handler = StreamMessagesHandler(put, subgraphs)
    config[CONF][HANDLER_KEY] = handler
    return handler


def _run_name(graph: Any, config: dict[str, Any]) -> str:
    return str(config.get("run_name") or graph.get_name())


class SyncTrace:
    """The graph's chain run in a sync run, and its nodes' runs."""

    def __init__(self, manager: CallbackManagerForChainRun) -> None:
        self.manager = manager

    @classmethod
    def start(
        cls, graph: Any, config: dict[str, Any], input: Any, handler: Any
    ) -> SyncTrace:
        """Open the graph's run (``on_chain_start``)."""
        manager = CallbackManager.configure(
            inheritable_callbacks=config.get("callbacks"),
            inheritable_tags=config.get("tags"),
            inheritable_metadata=config.get("metadata"),
        )
        if "ls_integration" not in manager.metadata:
            manager.add_metadata({"ls_integration": "langgraph"})
        run = manager.on_chain_start(
            None, input, name=_run_name(graph, config), run_id=config.get("run_id")
        )
        if handler is not None:
            run.inheritable_handlers.append(handler)
        return cls(run)

    def step_callbacks(self, step: int) -> Any:
        """Callbacks of the tasks of ``step``."""
        return self.manager.get_child(f"graph:step:{step}")

    def end(self, output: Any) -> None:
        """Close the graph's run."""
        self.manager.on_chain_end(output)

    def error(self, exc: BaseException) -> None:
        """Close the graph's run with an error."""
        self.manager.on_chain_error(exc)

    def run_node(self, task: Any, body: Callable[[Any], Any]) -> Any:
        """Run one attempt of ``task`` inside its own chain run."""
        config = task.config
        manager = CallbackManager.configure(
            inheritable_callbacks=config.get("callbacks"),
            inheritable_tags=config.get("tags"),
            inheritable_metadata=config.get("metadata"),
        )
        run = manager.on_chain_start(None, task.input, name=task.name)
        step_callbacks = config.get("callbacks")
        config["callbacks"] = run.get_child()
        token = var_child_runnable_config.set(config)
        try:
            out = body(task)
        except BaseException as exc:
            run.on_chain_error(exc)
            raise
        finally:
            var_child_runnable_config.reset(token)
            config["callbacks"] = step_callbacks
        run.on_chain_end(out)
        return out


class AsyncTrace:
    """The graph's chain run in an async run, and its nodes' runs."""

    def __init__(self, manager: AsyncCallbackManagerForChainRun) -> None:
        self.manager = manager

    @classmethod
    async def start(
        cls, graph: Any, config: dict[str, Any], input: Any, handler: Any
    ) -> AsyncTrace:
        """Open the graph's run (``on_chain_start``)."""
        manager = AsyncCallbackManager.configure(
            inheritable_callbacks=config.get("callbacks"),
            inheritable_tags=config.get("tags"),
            inheritable_metadata=config.get("metadata"),
        )
        if "ls_integration" not in manager.metadata:
            manager.add_metadata({"ls_integration": "langgraph"})
        run = await manager.on_chain_start(
            None, input, name=_run_name(graph, config), run_id=config.get("run_id")
        )
        if handler is not None:
            run.inheritable_handlers.append(handler)
        return cls(run)

    def step_callbacks(self, step: int) -> Any:
        """Callbacks of the tasks of ``step``."""
        return self.manager.get_child(f"graph:step:{step}")

    async def end(self, output: Any) -> None:
        """Close the graph's run."""
        await self.manager.on_chain_end(output)

    async def error(self, exc: BaseException) -> None:
        """Close the graph's run with an error."""
        await self.manager.on_chain_error(exc)

    async def run_node(self, task: Any, body: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run one attempt of ``task`` inside its own chain run."""
        config = task.config
        manager = AsyncCallbackManager.configure(
            inheritable_callbacks=config.get("callbacks"),
            inheritable_tags=config.get("tags"),
            inheritable_metadata=config.get("metadata"),
        )
        run = await manager.on_chain_start(None, task.input, name=task.name)
        step_callbacks = config.get("callbacks")
        config["callbacks"] = run.get_child()
        token = var_child_runnable_config.set(config)
        try:
            out = await body(task)
        except BaseException as exc:
            await run.on_chain_error(exc)
            raise
        finally:
            var_child_runnable_config.reset(token)
            config["callbacks"] = step_callbacks
        await run.on_chain_end(out)
        return out


__all__ = ["AsyncTrace", "SyncTrace", "messages_handler", "wanted"]
