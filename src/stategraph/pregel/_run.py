"""Preparing a run: config, saver, stream sinks, runtime.

Shared by every public entry point of ``Pregel``; holds no I/O. What a run
hands back to its caller is framed in ``_run_output``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from stategraph._config import ensure_config, get_config
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CACHE,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_DURABILITY,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_TASK_ID,
    NS_END,
    NS_SEP,
)
from stategraph._engine._emit import StreamSink
from stategraph._runtime import (
    DEFAULT_RUNTIME,
    RunControl,
    Runtime,
    server_info_from,
)
from stategraph.pregel._run_output import (
    check_status as check_status,
    frame as frame,
    invoke_result as invoke_result,
)
from stategraph.warnings import LangGraphDeprecatedSinceV10


class Run:
    """Everything a ``Loop`` needs to know about one call."""

    cache: Any
    checkpoint_config: dict[str, Any]
    checkpointer: Any
    chunks: deque[Any]
    messages_handler: Any
    tracing: Any
    config: dict[str, Any]
    durability: Any
    input: Any
    interrupt_after: Any
    interrupt_before: Any
    output_keys: Any
    print_mode: tuple[str, ...]
    runtime: Runtime[Any]
    sinks: tuple[StreamSink, ...]
    store: Any
    stream_mode: Any
    subgraphs: bool
    version: str

    __slots__ = (
        "cache",
        "checkpoint_config",
        "checkpointer",
        "chunks",
        "config",
        "durability",
        "input",
        "interrupt_after",
        "interrupt_before",
        "messages_handler",
        "output_keys",
        "print_mode",
        "runtime",
        "sinks",
        "store",
        "stream_mode",
        "subgraphs",
        "tracing",
        "version",
    )


def resolve_checkpointer(graph: Any, config: dict[str, Any]) -> Any:
    """The saver a run uses: none for ``False``, else the parent's, else its own."""
    if graph.checkpointer is False:
        return None
    conf = config.get(CONF, {})
    if CONFIG_KEY_CHECKPOINTER in conf:
        return conf[CONFIG_KEY_CHECKPOINTER]
    if graph.checkpointer is True:
        raise RuntimeError("checkpointer=True cannot be used for root graphs.")
    return graph.checkpointer


def own_checkpoint_config(graph: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A ``checkpointer=True`` subgraph keeps one history under a task-free ns."""
    if graph.checkpointer is not True:
        return config
    ns = config[CONF].get(CONFIG_KEY_CHECKPOINT_NS, "")
    stripped = NS_SEP.join(part.split(NS_END)[0] for part in ns.split(NS_SEP))
    return {**config, CONF: {**config[CONF], CONFIG_KEY_CHECKPOINT_NS: stripped}}


def prepare_run(
    graph: Any,
    input: Any,
    config: Any,
    *,
    context: Any = None,
    stream_mode: Any = None,
    print_mode: Any = (),
    output_keys: Any = None,
    interrupt_before: Any = None,
    interrupt_after: Any = None,
    durability: Any = None,
    subgraphs: bool = False,
    debug: bool | None = None,
    version: str = "v1",
    checkpoint_during: Any = None,
    live: str | None = None,
    control: Any = None,
) -> Run:
    """Resolve defaults and build the ``Run`` of one call."""
    if checkpoint_during is not None:
        durability = _durability_of(checkpoint_during, durability)
    config = ensure_config(graph.config, config)
    conf = config[CONF] = dict(config[CONF])
    if stream_mode is None:
        stream_mode = "values" if CONFIG_KEY_TASK_ID in conf else graph.stream_mode
    if debug or graph.debug:
        print_mode = ["updates", "values"]
    if config["recursion_limit"] < 1:
        raise ValueError("recursion_limit must be at least 1")
    run = Run()
    run.input = input
    run.subgraphs = subgraphs
    run.version = version
    modes = _set_output(run, graph, stream_mode, print_mode, output_keys)
    run.interrupt_before = interrupt_before or graph.interrupt_before_nodes
    run.interrupt_after = interrupt_after or graph.interrupt_after_nodes
    _set_persistence(run, graph, config, durability)
    slot = conf.get(CONFIG_KEY_RUNTIME, DEFAULT_RUNTIME)
    run.store = slot.store if CONFIG_KEY_RUNTIME in conf else graph.store
    parent_runtime = _parent_runtime(slot)
    run.cache = conf.get(CONFIG_KEY_CACHE) or graph.cache
    config = own_checkpoint_config(graph, config)
    _count_subgraph_call(config)
    run.chunks = _chunk_buffer(graph, live, modes, subgraphs)
    own = StreamSink(run.chunks.append, modes)
    run.tracing = run.messages_handler = None
    if "langchain_core" in sys.modules and _may_trace(config, modes):
        _attach_tracing(run, config, modes, own)
    run.sinks = (own, conf[CONFIG_KEY_STREAM]) if CONFIG_KEY_STREAM in conf else (own,)
    run.runtime = _runtime(graph, run, context, modes, parent_runtime, conf)
    if control is not None or run.runtime.control is None:
        run.runtime = run.runtime.override(control=control or RunControl())
    config[CONF][CONFIG_KEY_RUNTIME] = run.runtime
    if subgraphs:
        config[CONF][CONFIG_KEY_STREAM] = _inside_sink(run, own)
    run.config = config
    run.checkpoint_config = _checkpoint_config(config)
    return run


def _set_output(
    run: Run, graph: Any, stream_mode: Any, print_mode: Any, output_keys: Any
) -> set[str]:
    """Give ``run`` what it streams, prints and outputs; return its stream modes."""
    run.stream_mode = stream_mode
    run.print_mode = (print_mode,) if isinstance(print_mode, str) else tuple(print_mode)
    modes = {stream_mode} if isinstance(stream_mode, str) else set(stream_mode)
    modes.update(run.print_mode)
    if output_keys is None:
        output_keys = graph.stream_channels_asis
    else:
        graph.validate_keys(output_keys)
    run.output_keys = output_keys
    return modes


def _parent_runtime(slot: Any) -> Runtime[Any]:
    """The runtime a run inherits from the config's runtime ``slot``.

    Layers outside a run (a server's graph factory) may seed an object that
    only carries ``context``/``store``: adopt its context, as LangGraph does.
    """
    if isinstance(slot, Runtime):
        return slot
    return Runtime(context=getattr(slot, "context", None))


_TRACING_ENV = (
    "LANGSMITH_TRACING_V2",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING",
)
_TRACING_MODULES = ("langchain_core.tracers.context", "langsmith.run_helpers")


def _set_persistence(
    run: Run, graph: Any, config: dict[str, Any], durability: Any
) -> None:
    """Give ``run`` its saver and durability (recorded for subgraphs too)."""
    conf = config[CONF]
    checkpointer = resolve_checkpointer(graph, config)
    if checkpointer and not conf:
        raise ValueError(
            "Checkpointer requires one or more of the following 'configurable' "
            "keys: thread_id, checkpoint_ns, checkpoint_id"
        )
    run.checkpointer = checkpointer
    if checkpointer is None and durability is not None:
        warnings.warn(
            "`durability` has no effect when no checkpointer is present.",
            # Past this helper, prepare_run and the public method.
            stacklevel=4,
        )
    run.durability = durability or conf.get(CONFIG_KEY_DURABILITY, "async")
    if durability is not None:
        conf[CONFIG_KEY_DURABILITY] = durability


def _durability_of(checkpoint_during: Any, durability: Any) -> Any:
    """The durability the deprecated ``checkpoint_during`` flag asks for."""
    warnings.warn(
        "`checkpoint_during` is deprecated and will be removed. Please use "
        "`durability` instead.",
        LangGraphDeprecatedSinceV10,
        # Past this helper, prepare_run and the public method.
        stacklevel=4,
    )
    if durability is not None:
        raise ValueError(
            "Cannot use both `checkpoint_during` and `durability` parameters. "
            "Please use `durability` instead."
        )
    return "async" if checkpoint_during else "exit"


def _attach_tracing(
    run: Run, config: dict[str, Any], modes: set[str], own: StreamSink
) -> None:
    """Give ``run`` LangChain tracing and message handlers when they are wanted."""
    from stategraph.pregel import _tracing

    if _tracing.wanted(config, modes):
        run.tracing = _tracing
        # Tokens reach an async stream one turn late, as custom writes do
        # (LangGraph's handlers put them with call_soon_threadsafe).
        run.messages_handler = _tracing.stream_handlers(
            config, modes, _inside_sink(run, own), run.subgraphs, run.version
        )


def _may_trace(config: dict[str, Any], modes: set[str]) -> bool:
    """Whether the run may need callbacks, without importing the tracing stack.

    Importing it (langchain-core's callback manager, the LangSmith client)
    takes far longer than a whole run of a small graph. Unless the run passes
    callbacks or streams messages, tracing can only be on through those
    modules (already imported, then) or the LangSmith environment variables.
    """
    if config.get("callbacks") or "messages" in modes:
        return True
    if any(name in sys.modules for name in _TRACING_MODULES):
        return True
    return any(os.environ.get(name, "").strip() for name in _TRACING_ENV)


def _chunk_buffer(
    graph: Any, live: str | None, modes: set[str], subgraphs: bool
) -> deque[Any]:
    """Where the run's chunks wait for the caller.

    Streams that show progress inside a step (eager graphs such as functional
    workflows, ``custom``, ``messages`` and ``tools`` modes, subgraph output) run their
    tasks off the caller's thread and hand chunks over as they are made, as
    LangGraph does; other runs collect them in a plain deque.
    """
    if live is None or not (
        graph.stream_eager
        or subgraphs
        or not modes.isdisjoint(("custom", "messages", "tools"))
    ):
        return deque()
    if live == "sync":
        from stategraph._engine._sync import LiveChunks

        return LiveChunks()
    from stategraph._engine._async import AsyncLiveChunks

    return AsyncLiveChunks()


def _checkpoint_config(config: dict[str, Any]) -> dict[str, Any]:
    """Where the run's checkpoints are read from and saved to."""
    conf = config[CONF]
    if CONFIG_KEY_TASK_ID not in conf and conf.get(CONFIG_KEY_CHECKPOINT_NS):
        conf = config[CONF] = {
            **conf,
            CONFIG_KEY_CHECKPOINT_NS: "",
            "checkpoint_id": None,
        }
    ns = conf.get(CONFIG_KEY_CHECKPOINT_NS)
    mapping = conf.get("checkpoint_map")
    if mapping is not None and ns in mapping:
        out = {**config, CONF: {**conf, "checkpoint_id": mapping[ns]}}
    else:
        out = config
    thread_id = out[CONF].get("thread_id")
    if thread_id and not isinstance(thread_id, str):
        out = {**out, CONF: {**out[CONF], "thread_id": str(thread_id)}}
    return out


def _runtime(
    graph: Any,
    run: Run,
    context: Any,
    modes: set[str],
    parent: Runtime[Any],
    conf: dict[str, Any],
) -> Runtime[Any]:
    writer: Callable[[Any], None]
    if "custom" in modes:
        writer = _custom_writer(getattr(run.chunks, "put_soon", run.chunks.append))
    elif CONFIG_KEY_STREAM in conf:
        writer = parent.stream_writer
    else:
        writer = _no_op
    own = Runtime(
        context=graph.coerce_context(context),
        store=run.store,
        stream_writer=writer,
        server_info=server_info_from(conf),
    )
    return parent.merge(own)


def _count_subgraph_call(config: dict[str, Any]) -> None:
    """A node calling the same subgraph again gets a numbered namespace (``|1``)."""
    scratchpad = config[CONF].get("__pregel_scratchpad")
    if scratchpad is not None and (cnt := scratchpad.subgraph_counter()):
        ns = config[CONF][CONFIG_KEY_CHECKPOINT_NS]
        config[CONF] = {**config[CONF], CONFIG_KEY_CHECKPOINT_NS: f"{ns}{NS_SEP}{cnt}"}


def _inside_sink(run: Run, own: StreamSink) -> StreamSink:
    """The sink subgraphs stream into: ``own``, but one turn late when async.

    LangGraph's async stream puts what subgraphs emit with
    ``call_soon_threadsafe`` (``AsyncLiveChunks.put_soon``); the messages a
    sink has seen are shared with ``own``.
    """
    put_soon = getattr(run.chunks, "put_soon", None)
    if put_soon is None:
        return own
    sink = StreamSink(put_soon, own.modes)
    sink.seen_messages = own.seen_messages
    return sink


def _custom_writer(put: Callable[[Any], None]) -> Callable[[Any], None]:
    """A writer that tags each ``custom`` chunk with the namespace of its graph."""

    def writer(chunk: Any) -> None:
        ns = get_config()[CONF][CONFIG_KEY_CHECKPOINT_NS].split(NS_SEP)[:-1]
        put((tuple(ns), "custom", chunk))

    return writer


def _no_op(_: Any) -> None:
    return None


__all__: Sequence[str] = (
    "Run",
    "prepare_run",
    "frame",
    "check_status",
    "invoke_result",
)
