"""Compile a ``StateGraph`` into the channels and nodes the engine runs.

Everything about user callables (sync/async, injected parameters, schemas)
is decided here, once.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from stategraph._constants import END, START, TAG_HIDDEN
from stategraph._engine._node import PregelNode
from stategraph._managed import is_managed_value
from stategraph._policies import sync_timeout_unsupported
from stategraph._types import ensure_valid_checkpointer
from stategraph.channels import (
    EphemeralValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
)
from stategraph.checkpoint.serde._registry import register_types
from stategraph.graph._node_data import unwrap
from stategraph.graph._schema import pick_mapper
from stategraph.graph._writers import (
    BRANCH_TO,
    branch_writer,
    fresh_reader,
    static_writer,
    update_writer,
)
from stategraph.pregel._call import make_calls
from stategraph.pregel._migrate import migrate_checkpoint
from stategraph.pregel._validate import natively_async

if TYPE_CHECKING:
    from stategraph.graph._builder import BranchSpec, StateGraph, StateNodeSpec
    from stategraph.graph._compiled import CompiledStateGraph


def compile_state_graph(
    builder: StateGraph[Any],
    *,
    checkpointer: Any,
    cache: Any,
    store: Any,
    interrupt_before: Any,
    interrupt_after: Any,
    debug: bool,
    name: str | None,
    stream_transformers: Any = None,
) -> CompiledStateGraph:
    """Validate ``builder`` and build its ``CompiledStateGraph``."""
    from stategraph.graph._compiled import CompiledStateGraph

    checkpointer = ensure_valid_checkpointer(checkpointer)
    interrupt_before = interrupt_before or []
    interrupt_after = interrupt_after or []
    builder.validate(
        interrupt=(
            (interrupt_before if interrupt_before != "*" else []) + interrupt_after
            if interrupt_after != "*"
            else []
        )
    )
    output_channels = _visible_channels(builder.schemas[builder.output_schema])
    stream_channels = _visible_channels(builder.channels)
    channels: dict[str, Any] = {
        **builder.channels,
        **builder.managed,
        START: EphemeralValue(builder.input_schema),
    }
    _add_default_error_handler(builder)
    _register_schema_types(builder)
    ctx = _Compiler(builder, channels)
    nodes = {START: ctx.start_node()}
    for key, spec in builder.nodes.items():
        nodes[key] = ctx.node(key, spec)
    ctx.attach_edges(nodes)
    compiled = CompiledStateGraph(
        builder=builder,
        nodes=nodes,
        channels=channels,
        input_channels=START,
        stream_mode="updates",
        output_channels=output_channels,
        stream_channels=stream_channels,
        checkpointer=checkpointer,
        interrupt_before_nodes=interrupt_before,
        interrupt_after_nodes=interrupt_after,
        auto_validate=False,
        debug=debug,
        store=store,
        cache=cache,
        context_schema=builder.context_schema,
        name=name or "LangGraph",
        stream_transformers=stream_transformers,
    )
    _attach_mappers(compiled, builder, nodes, output_channels, stream_channels)
    return compiled.validate()  # type: ignore[return-value]


def _visible_channels(channels: dict[str, Any]) -> Any:
    """``"__root__"`` for a root-value schema, else its non-managed keys."""
    if len(channels) == 1 and "__root__" in channels:
        return "__root__"
    return [k for k, v in channels.items() if not is_managed_value(v)]


def _attach_mappers(
    compiled: Any,
    builder: StateGraph[Any],
    nodes: dict[str, Any],
    output_channels: Any,
    stream_channels: Any,
) -> None:
    """Give ``compiled`` its output/state mappers and checkpoint migration."""
    compiled.output_mapper = pick_mapper(
        [output_channels] if isinstance(output_channels, str) else output_channels,
        builder.output_schema,
    )
    compiled.migrate_checkpoint = partial(
        migrate_checkpoint, nodes=frozenset(nodes), edges=tuple(builder.edges)
    )
    compiled.state_mapper = pick_mapper(
        [stream_channels] if isinstance(stream_channels, str) else stream_channels,
        builder.state_schema,
    )


def _register_schema_types(builder: StateGraph[Any]) -> None:
    """Allow the classes the graph's schemas name in every serializer.

    Checkpoints name the dataclasses, pydantic models, enums and NamedTuples
    they hold by module and class; loading revives only registered ones.
    Registering them here lets any process that compiles this graph (another
    worker, a server's API process, the same program after a restart) load
    what another wrote, as LangGraph's serializer imports them by name.
    """
    schemas = [
        builder.state_schema,
        builder.input_schema,
        builder.output_schema,
        builder.context_schema,
        *(spec.input_schema for spec in builder.nodes.values()),
        *(
            branch.input_schema
            for branches in builder.branches.values()
            for branch in branches.values()
        ),
    ]
    register_types(*(schema for schema in schemas if schema is not None))


def _add_default_error_handler(builder: StateGraph[Any]) -> None:
    """Add the builder's default error handler as a node (as LangGraph does).

    Raises:
        ValueError: The graph already has that node (compiled twice).
    """
    from stategraph.graph._builder import DEFAULT_ERROR_HANDLER, StateNodeSpec

    handler = builder._node_defaults.get("error_handler")
    if handler is None:
        return
    if DEFAULT_ERROR_HANDLER in builder.nodes:
        raise ValueError(
            f"Auto-generated default error handler node `{DEFAULT_ERROR_HANDLER}` "
            "already exists."
        )
    builder.nodes[DEFAULT_ERROR_HANDLER] = StateNodeSpec(
        handler,
        None,
        input_schema=builder.state_schema,
        retry_policy=None,
        cache_policy=None,
        is_error_handler=True,
    )
    for spec in builder.nodes.values():
        if not spec.is_error_handler and spec.error_handler is None:
            spec.error_handler = DEFAULT_ERROR_HANDLER


class _Compiler:
    """Holds the builder while its nodes and edges are turned into engine specs."""

    def __init__(self, builder: StateGraph[Any], channels: dict[str, Any]) -> None:
        self.builder = builder
        self.channels = channels
        self.mappers: dict[Any, Any] = {}

    def _mapper(self, schema: Any, keys: list[str]) -> Any:
        if schema not in self.mappers:
            self.mappers[schema] = pick_mapper(keys, schema)
        return self.mappers[schema]

    def start_node(self) -> PregelNode:
        b = self.builder
        keys = [
            k for k, v in b.schemas[b.input_schema].items() if not is_managed_value(v)
        ]
        return PregelNode(
            name=START,
            triggers=[START],
            channels=START,
            call=lambda value, task: value,
            writers=[update_writer(keys)],
            tags=[TAG_HIDDEN],
        )

    def node(self, key: str, spec: StateNodeSpec) -> PregelNode:
        b = self.builder
        input_keys = list(b.schemas[spec.input_schema])
        single = input_keys == ["__root__"]
        branch_channel = BRANCH_TO.format(key)
        self.channels[branch_channel] = (
            LastValueAfterFinish(Any)
            if spec.defer
            else EphemeralValue(Any, guard=False)
        )
        defaults = b._node_defaults
        retry = spec.retry_policy or defaults.get("retry_policy")
        cache = spec.cache_policy or (
            None if spec.is_error_handler else defaults.get("cache_policy")
        )
        timeout = spec.timeout or defaults.get("timeout")
        runnable = unwrap(spec.runnable)
        call, acall = make_calls(runnable, key)
        if timeout is not None and (acall is None or not natively_async(runnable)):
            raise sync_timeout_unsupported(key)
        out_keys = list(b.channels) + list(b.managed)
        node = PregelNode(
            name=key,
            triggers=[branch_channel],
            channels="__root__" if single else input_keys,
            mapper=self._mapper(spec.input_schema, input_keys),
            call=call,
            acall=acall,
            writers=[update_writer(out_keys)],
            bound=runnable,
            metadata=spec.metadata,
            retry_policy=retry,
            cache_policy=cache,
            timeout=timeout,
            subgraphs=_subgraphs_of(runnable),
            trace_policy=spec.trace_policy,
        )
        node.error_handler = spec.error_handler
        return node

    def attach_edges(self, nodes: dict[str, PregelNode]) -> None:
        b = self.builder
        for start, end in sorted(b.edges):
            if end != END:
                nodes[start].writers.append(
                    static_writer([(BRANCH_TO.format(end), None)])
                )
        for starts, end in sorted(b.waiting_edges):
            if end == END:
                continue
            name = f"join:{'+'.join(starts)}:{end}"
            barrier = (
                NamedBarrierValueAfterFinish(str, set(starts))
                if b.nodes[end].defer
                else NamedBarrierValue(str, set(starts))
            )
            self.channels[name] = barrier
            nodes[end].triggers.append(name)
            for start in starts:
                nodes[start].writers.append(static_writer([(name, start)]))
        for start, branches in b.branches.items():
            for branch in branches.values():
                nodes[start].writers.append(self._branch(start, branch))

    def _branch(self, start: str, branch: BranchSpec) -> Any:
        b = self.builder
        schema = branch.input_schema or (
            b.nodes[start].input_schema if start in b.nodes else b.state_schema
        )
        keys = list(b.schemas[schema])
        select: Any = keys[0] if keys == ["__root__"] else keys
        reader = fresh_reader(select, self._mapper(schema, keys))
        return branch_writer(
            branch.path, branch.ends, reader, passthrough=branch.input_schema is None
        )


def _subgraphs_of(runnable: Any) -> list[Any]:
    """The graph a node runs: itself, or one its function calls (as LangGraph finds).

    Graphs compiled with ``checkpointer=False`` keep no state of their own,
    so they are not subgraphs.
    """
    from stategraph.graph._draw import find_subgraph

    found = find_subgraph(runnable)
    return [] if found is None else [found]
