"""LangChain callbacks for graph runs: tracing and chat-model token streaming.

Loaded only when langchain-core is in use. A run that has callbacks (given in
its config, from LangSmith tracing, or needed by ``stream_mode="messages"``)
opens a chain run for the graph and one per node attempt, as LangGraph does;
a node's config carries callbacks that are children of its run, so chat models
called inside report to the same tree and stream their tokens.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from langchain_core.callbacks.manager import (
    AsyncCallbackManager,
    AsyncCallbackManagerForChainRun,
    CallbackManager,
    CallbackManagerForChainRun,
)
from langchain_core.runnables.config import (
    set_config_context,
    var_child_runnable_config,
)
from langchain_core.tracers._streaming import _StreamingCallbackHandler
from langchain_core.tracers.base import BaseTracer

from stategraph._engine._calls import is_call
from stategraph._graph_callbacks import (
    GraphInterruptEvent,
    GraphResumeEvent,
    _AsyncGraphCallbackManager,
    _GraphCallbackManager,
)
from stategraph.errors import GraphBubbleUp
from stategraph.pregel._messages import StreamMessagesHandler
from stategraph.pregel._stream_handlers import (
    HANDLER_KEY as HANDLER_KEY,
    TOOLS_HANDLER_KEY as TOOLS_HANDLER_KEY,
    messages_handler as messages_handler,
    stream_handlers as stream_handlers,
    tools_handler as tools_handler,
    wanted as wanted,
)

logger = logging.getLogger(__name__)


def _attach(run: Any, handlers: Any) -> None:
    if handlers is not None:
        run.inheritable_handlers.extend(
            handlers if isinstance(handlers, list) else [handlers]
        )


def _run_name(graph: Any, config: dict[str, Any]) -> str:
    return str(config.get("run_name") or graph.get_name())


def lifecycle_event(record: tuple[Any, ...], run_id: Any) -> Any:
    """The lifecycle event object for one event the loop recorded."""
    kind, status, checkpoint_id, extra = record
    if kind == "resume":
        return GraphResumeEvent(run_id, status, checkpoint_id, extra)
    ns, interrupts = extra
    return GraphInterruptEvent(run_id, status, checkpoint_id, ns, interrupts)


def _node_input(task: Any) -> Any:
    """What a node's run records as inputs: a task call's arguments by name."""
    if not is_call(task):
        return task.input
    args, kwargs = task.input
    try:
        bound = inspect.signature(task.node.bound).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return task.input
    return dict(bound.arguments)


def _traces_to_langsmith(run: Any) -> bool:
    """Whether a LangSmith tracer records ``run`` (so its run tree is needed).

    Looked up in ``sys.modules``: no such tracer exists unless its module (and
    the LangSmith client behind it) was imported already.
    """
    module = sys.modules.get("langchain_core.tracers.langchain")
    return module is not None and any(
        isinstance(h, module.LangChainTracer) for h in run.handlers
    )


def _recorded(task: Any, value: Any, hook: str) -> Any:
    """What tracers record for ``value``: the node's ``TracePolicy`` hook applied.

    The hook never changes what the node gets or returns; if it fails, the
    value is recorded as is (and the failure logged).
    """
    policy = getattr(task.node, "trace_policy", None)
    transform = getattr(policy, hook, None) if policy is not None else None
    if transform is None:
        return value
    try:
        return transform(value)
    except GraphBubbleUp:
        raise  # an interrupt or command is never a hook failure to log
    except Exception:
        logger.exception("TracePolicy.%s raised; recording the value as is", hook)
        return value


def _split(manager: Any) -> tuple[Any, Any]:
    """Copies of ``manager``: one without its tracers, one with only them.

    Only tracers get the recorded payload (it exists to keep what they store
    small); streaming tracers (``astream_events``, ``astream_log``) feed the
    caller's own stream, so they get the real one.
    """
    real, tracers = copy.copy(manager), copy.copy(manager)
    tracers.handlers = [
        h
        for h in manager.handlers
        if isinstance(h, BaseTracer)
        and _StreamingCallbackHandler not in type(h).__mro__
    ]
    real.handlers = [h for h in manager.handlers if h not in tracers.handlers]
    return real, tracers


def _enter_node(config: dict[str, Any], run: Any) -> dict[str, Any]:
    """Point a task's config at its node run; return what to restore after.

    What the node calls is a child of the node's run (``seq:step:1``, as
    LangGraph's node sequence tags it), with its own name and run id.
    """
    saved = {"callbacks": config.get("callbacks"), "run_name": config.get("run_name")}
    config["callbacks"] = run.get_child("seq:step:1")
    config.pop("run_name", None)
    return saved


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


async def _once(value: Any) -> AsyncIterator[Any]:
    yield value


async def _stream_output(run: Any, out: Any) -> None:
    """Show a node's output as its stream to event/log stream handlers.

    LangGraph streams nodes when such a handler listens (``astream_events``,
    ``astream_log``), so they report an ``on_chain_stream`` per node.
    """
    for handler in run.handlers:
        tap = getattr(handler, "tap_output_aiter", None)
        if tap is not None and not isinstance(handler, StreamMessagesHandler):
            async for _ in tap(run.run_id, _once(out)):
                pass


class SyncTrace:
    """The graph's chain run in a sync run, and its nodes' runs."""

    def __init__(self, manager: CallbackManagerForChainRun, config: Any) -> None:
        self.manager = manager
        self.graph = _GraphCallbackManager.configure(
            config.get("callbacks"), run_id=manager.run_id
        )

    def tell(self, records: list[Any]) -> None:
        """Deliver the lifecycle events the loop recorded."""
        for record in records:
            event = lifecycle_event(record, self.manager.run_id)
            if isinstance(event, GraphResumeEvent):
                self.graph.on_resume(event)
            else:
                self.graph.on_interrupt(event)
        records.clear()

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
        _attach(run, handler)
        return cls(run, config)

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
        inputs = _node_input(task)
        recorded = _recorded(task, inputs, "process_inputs")
        if recorded is inputs:
            run = manager.on_chain_start(None, inputs, name=task.name)
        else:
            real, tracers = _split(manager)
            run = real.on_chain_start(None, inputs, name=task.name)
            tracers.on_chain_start(None, recorded, name=task.name, run_id=run.run_id)
            run.handlers = manager.handlers
        saved = _enter_node(config, run)
        try:
            if _traces_to_langsmith(run):
                # langchain's full config context also makes the node's run
                # LangSmith's current run tree (``get_current_run_tree``).
                with set_config_context(config) as context:
                    out = context.run(body, task)
            else:
                # The plain config variable: set_config_context imports the
                # LangSmith client (~130 ms) on first use, for nothing here.
                token = var_child_runnable_config.set(config)
                try:
                    out = body(task)
                finally:
                    var_child_runnable_config.reset(token)
        except BaseException as exc:
            run.on_chain_error(exc)
            raise
        finally:
            config.update(saved)
        recorded = _recorded(task, out, "process_outputs")
        if recorded is out:
            run.on_chain_end(out)
        else:
            real, tracers = _split(run)
            tracers.on_chain_end(recorded)
            real.on_chain_end(out)
        return out


class AsyncTrace:
    """The graph's chain run in an async run, and its nodes' runs."""

    def __init__(self, manager: AsyncCallbackManagerForChainRun, config: Any) -> None:
        self.manager = manager
        self.graph = _AsyncGraphCallbackManager.configure(
            config.get("callbacks"), run_id=manager.run_id
        )

    async def tell(self, records: list[Any]) -> None:
        """Deliver the lifecycle events the loop recorded."""
        for record in records:
            event = lifecycle_event(record, self.manager.run_id)
            if isinstance(event, GraphResumeEvent):
                await self.graph.on_resume(event)
            else:
                await self.graph.on_interrupt(event)
        records.clear()

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
        _attach(run, handler)
        return cls(run, config)

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
        inputs = _node_input(task)
        recorded = _recorded(task, inputs, "process_inputs")
        if recorded is inputs:
            run = await manager.on_chain_start(None, inputs, name=task.name)
        else:
            real, tracers = _split(manager)
            run = await real.on_chain_start(None, inputs, name=task.name)
            await tracers.on_chain_start(
                None, recorded, name=task.name, run_id=run.run_id
            )
            run.handlers = manager.handlers
        saved = _enter_node(config, run)
        try:
            if _traces_to_langsmith(run):
                # LangSmith's current run tree lives in a context: the node runs
                # as a task in a copy holding it (as LangGraph's nodes do).
                with set_config_context(config) as context:
                    coro = _awaited(body(task))
                    out = await asyncio.create_task(coro, context=context)
            else:
                # No extra task otherwise: it would add event-loop turns and
                # reorder what concurrent tasks stream.
                token = var_child_runnable_config.set(config)
                try:
                    out = await body(task)
                finally:
                    var_child_runnable_config.reset(token)
        except BaseException as exc:
            await run.on_chain_error(exc)
            raise
        finally:
            config.update(saved)
        await _stream_output(run, out)
        recorded = _recorded(task, out, "process_outputs")
        if recorded is out:
            await run.on_chain_end(out)
        else:
            real, tracers = _split(run)
            # Tracers first: a cancellation must not leave their run open.
            await tracers.on_chain_end(recorded)
            await real.on_chain_end(out)
        return out


__all__ = [
    "AsyncTrace",
    "SyncTrace",
    "messages_handler",
    "stream_handlers",
    "tools_handler",
    "wanted",
]
