"""``StateGraph``: the builder users add nodes and edges to.

Only records the graph; ``graph/_compile.py`` turns it into engine specs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
)

from typing_extensions import Self

from stategraph._constants import END, START
from stategraph._managed import ManagedValueSpec
from stategraph._policies import TimeoutPolicy
from stategraph._types import CachePolicy, RetryPolicy, StateT
from stategraph.channels import BaseChannel
from stategraph.graph._specs import (
    ERROR_HANDLER_PREFIX as ERROR_HANDLER_PREFIX,
    BranchSpec as BranchSpec,
    StateNodeSpec as StateNodeSpec,
    _branch_name,
    _check_node_name,
    _check_waiting_edge,
    _legacy_kwargs,
    _legacy_node_kwargs,
    _path_input_schema,
    _path_map,
    add_schema,
    node_name_of as node_name_of,
    node_specs,
)

if TYPE_CHECKING:
    from stategraph.graph._compiled import CompiledStateGraph

logger = logging.getLogger("stategraph")
DEFAULT_ERROR_HANDLER = "__default_error_handler__"


class StateGraph(Generic[StateT]):
    """A graph whose nodes read and write a shared state.

    Each node receives the state and returns a partial update. Keys annotated
    with a reducer (``Annotated[list, operator.add]``) combine the writes of
    several nodes; other keys keep the last value written.

    Args:
        state_schema: TypedDict, dataclass, pydantic model or plain type.
        context_schema: Schema of the run context given with ``context=``.
        input_schema: Schema of the graph input (defaults to the state).
        output_schema: Schema of the graph output (defaults to the state).

    Example:
        >>> builder = StateGraph(State)
        >>> builder.add_node("a", lambda s: {"x": s["x"] + 1})
        >>> builder.add_edge(START, "a")
        >>> builder.compile().invoke({"x": 1})
    """

    def __init__(
        self,
        state_schema: Any = None,
        context_schema: Any = None,
        *,
        input_schema: Any = None,
        output_schema: Any = None,
        **kwargs: Any,
    ) -> None:
        state_schema, input_schema, output_schema, context_schema = _legacy_kwargs(
            state_schema, input_schema, output_schema, context_schema, kwargs
        )
        self.nodes: dict[str, StateNodeSpec] = {}
        self.edges: set[tuple[str, str]] = set()
        self.branches: defaultdict[str, dict[str, BranchSpec]] = defaultdict(dict)
        self.schemas: dict[
            Any, dict[str, BaseChannel[Any, Any, Any] | ManagedValueSpec]
        ] = {}
        self.channels: dict[str, BaseChannel[Any, Any, Any]] = {}
        self.managed: dict[str, ManagedValueSpec] = {}
        self.compiled = False
        self.waiting_edges: set[tuple[tuple[str, ...], str]] = set()
        self._node_defaults: dict[str, Any] = {}
        self.state_schema = state_schema
        self.input_schema = input_schema or state_schema
        self.output_schema = output_schema or state_schema
        self.context_schema = context_schema
        self._add_schema(self.state_schema)
        self._add_schema(self.input_schema, allow_managed=False)
        self._add_schema(self.output_schema, allow_managed=False)

    def set_node_defaults(
        self,
        *,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        error_handler: Any = None,
        timeout: Any = None,
    ) -> Self:
        """Set policies for every node that does not set its own (applied at compile).

        Retry and timeout defaults apply to error handlers too; cache and
        error-handler defaults only to regular nodes (a handler never handles
        its own failure).

        Args:
            retry_policy: Default retry policy.
            cache_policy: Default cache policy.
            error_handler: Default error handler: called with the state (and
                ``error: NodeError``) when a node fails for good.
            timeout: Default timeout of async nodes.

        Returns:
            The builder, for chaining.
        """
        if retry_policy is not None:
            self._node_defaults["retry_policy"] = retry_policy
        if cache_policy is not None:
            self._node_defaults["cache_policy"] = cache_policy
        if timeout is not None:
            self._node_defaults["timeout"] = TimeoutPolicy.coerce(timeout)
        if error_handler is not None:
            self._node_defaults["error_handler"] = error_handler
        return self

    def _warn_if_compiled(self, what: str) -> None:
        if self.compiled:
            logger.warning(
                f"Adding {what} to a graph that has already been compiled. This "
                "will not be reflected in the compiled graph."
            )

    @property
    def _all_edges(self) -> set[tuple[str, str]]:
        return self.edges | {
            (start, end) for starts, end in self.waiting_edges for start in starts
        }

    def _add_schema(self, schema: Any, /, allow_managed: bool = True) -> None:
        add_schema(self, schema, allow_managed)

    def add_node(
        self,
        node: Any,
        action: Any = None,
        *,
        defer: bool = False,
        metadata: dict[str, Any] | None = None,
        input_schema: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        destinations: dict[str, str] | tuple[str, ...] | None = None,
        timeout: Any = None,
        error_handler: Any = None,
        trace_policy: Any = None,
        **kwargs: Any,
    ) -> Self:
        """Add a node: a function, async function, runnable or compiled graph.

        Args:
            node: The node's name, or the callable itself (its name is inferred).
            action: The callable when ``node`` is a name.
            defer: Run the node only when nothing else is left to run.
            metadata: Metadata attached to the node's tasks.
            input_schema: Schema the node reads (default: the state schema, or
                the annotation of the callable's first parameter).
            retry_policy: Retry policy, or policies tried in order.
            cache_policy: Cache the node's writes by input.
            destinations: Nodes it may route to with ``Command`` (drawing only).
            timeout: Seconds (or ``TimeoutPolicy``) an attempt of an async node
                may take before ``NodeTimeoutError``.
            error_handler: Called instead of failing the run when the node
                fails for good (after its retries); it gets the node's input
                (and ``error: NodeError``) and may update state or route with
                ``Command``.
            trace_policy: A ``TracePolicy`` whose ``process_inputs`` /
                ``process_outputs`` transform what tracers record for the
                node's run (the node itself gets and returns the real values).
            **kwargs: Deprecated ``retry=``/``input=`` spellings.

        Returns:
            The builder, for chaining.

        Raises:
            ValueError: On a duplicate or reserved name.
        """
        return self._insert_node(
            node,
            action,
            # Applied here, so the deprecation warnings point at the caller.
            *_legacy_node_kwargs(kwargs, retry_policy, input_schema),
            defer=defer,
            metadata=metadata,
            cache_policy=cache_policy,
            destinations=destinations,
            timeout=timeout,
            error_handler=error_handler,
            trace_policy=trace_policy,
        )

    def _insert_node(
        self,
        node: Any,
        action: Any,
        retry_policy: Any,
        input_schema: Any,
        /,
        **options: Any,
    ) -> Self:
        """Record a node: ``add_node``'s work once its legacy keywords are applied."""
        if not isinstance(node, str):
            action = node
            node = node_name_of(action)
        self._warn_if_compiled("a node")
        if action is None:
            raise RuntimeError
        _check_node_name(node, self.nodes)
        specs, schema = node_specs(
            node,
            action,
            self.state_schema,
            retry_policy=retry_policy,
            input_schema=input_schema,
            **options,
        )
        self.nodes.update(specs)
        if schema is not None:
            self._add_schema(schema)
        return self

    def add_edge(self, start_key: str | list[str], end_key: str) -> Self:
        """Add an edge; with a list of starts, ``end_key`` waits for all of them.

        Args:
            start_key: Node (or nodes) the edge starts at.
            end_key: Node the edge leads to.

        Returns:
            The builder, for chaining.

        Raises:
            ValueError: When ``END`` starts or ``START`` ends an edge, or a node
                of a waiting edge is unknown.
        """
        self._warn_if_compiled("an edge")
        if isinstance(start_key, str):
            if start_key == END:
                raise ValueError("END cannot be a start node")
            if end_key == START:
                raise ValueError("START cannot be an end node")
            self.edges.add((start_key, end_key))
            return self
        _check_waiting_edge(start_key, end_key, self.nodes)
        self.waiting_edges.add((tuple(start_key), end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | list[str] | None = None,
    ) -> Self:
        """Route from ``source`` to the node(s) ``path`` returns.

        Args:
            source: Node whose end triggers the routing.
            path: Returns a node name, ``END``, a ``Send``, or a list of these.
            path_map: Maps ``path``'s return values to node names.

        Returns:
            The builder, for chaining.

        Raises:
            ValueError: When a branch of the same name already leaves ``source``.
        """
        self._warn_if_compiled("an edge")
        name = _branch_name(path)
        if name in self.branches[source]:
            raise ValueError(
                f"Branch with name `{name}` already exists for node `{source}`"
            )
        spec = BranchSpec(path, _path_map(path, path_map), _path_input_schema(path))
        self.branches[source][name] = spec
        if spec.input_schema is not None:
            self._add_schema(spec.input_schema)
        return self

    def add_sequence(self, nodes: Sequence[Any]) -> Self:
        """Add nodes chained one after another by edges.

        Args:
            nodes: Callables, or ``(name, callable)`` pairs.

        Returns:
            The builder, for chaining.

        Raises:
            ValueError: When the sequence is empty or repeats a name.
        """
        if len(nodes) < 1:
            raise ValueError("Sequence requires at least one node.")
        previous: str | None = None
        for item in nodes:
            if isinstance(item, tuple) and len(item) == 2:
                name, node = item
            else:
                name, node = node_name_of(item), item
            if name in self.nodes:
                raise ValueError(
                    f"Node names must be unique: node with the name '{name}' already "
                    "exists. If you need to use two different runnables/callables "
                    "with the same name (for example, using `lambda`), please provide "
                    "them as tuples (name, runnable/callable)."
                )
            self.add_node(name, node)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def set_entry_point(self, key: str) -> Self:
        """Make ``key`` the first node (an edge from ``START``)."""
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | list[str] | None = None,
    ) -> Self:
        """Route from ``START`` to the node(s) ``path`` returns."""
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> Self:
        """Make the graph end after ``key`` (an edge to ``END``)."""
        return self.add_edge(key, END)

    def validate(self, interrupt: Sequence[str] | None = None) -> Self:
        """Check edges, branches and interrupt nodes name known nodes.

        Raises:
            ValueError: Naming the first unknown node or a missing entry point.
        """
        from stategraph.graph._validate import validate_builder

        validate_builder(self, interrupt)
        self.compiled = True
        return self

    def compile(
        self,
        checkpointer: Any = None,
        *,
        cache: Any = None,
        store: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        debug: bool = False,
        name: str | None = None,
        transformers: Sequence[Callable[[tuple[str, ...]], Any]] | None = None,
    ) -> CompiledStateGraph:
        """Compile the builder into a runnable graph.

        Args:
            checkpointer: A saver; ``True``/``False``/``None`` for subgraphs.
            cache: Cache backend for nodes with a cache policy.
            store: Long-term memory store given to nodes.
            interrupt_before: Nodes (or ``"*"``) to pause before.
            interrupt_after: Nodes (or ``"*"``) to pause after.
            debug: Print debug output while running.
            name: Name of the compiled graph.
            transformers: Stream transformer classes (or ``scope ->
                transformer`` factories) added to every
                ``stream_events(version="v3")`` run.

        Returns:
            The compiled graph.
        """
        from stategraph.graph._compile import compile_state_graph

        return compile_state_graph(
            self,
            checkpointer=checkpointer,
            cache=cache,
            store=store,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            debug=debug,
            name=name,
            stream_transformers=transformers,
        )
