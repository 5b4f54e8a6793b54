"""``StateGraph``: the builder users add nodes and edges to.

Only records the graph; ``graph/_compile.py`` turns it into engine specs.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from typing_extensions import Self

from stategraph._constants import END, NS_END, NS_SEP, START
from stategraph._managed import ManagedValueSpec
from stategraph._policies import TimeoutPolicy
from stategraph._types import CachePolicy, Command, RetryPolicy, StateT
from stategraph.channels import BaseChannel, LastValue
from stategraph.graph._node_data import wrap_callable
from stategraph.graph._schema import channels_of, warn_invalid_state_schema
from stategraph.warnings import LangGraphDeprecatedSinceV05, LangGraphDeprecatedSinceV10

if TYPE_CHECKING:
    from stategraph.graph._compiled import CompiledStateGraph

logger = logging.getLogger("stategraph")
ERROR_HANDLER_PREFIX = "__error_handler__"
DEFAULT_ERROR_HANDLER = "__default_error_handler__"


@dataclass(slots=True)
class StateNodeSpec:
    """A node as added to the builder."""

    runnable: Any
    metadata: dict[str, Any] | None
    input_schema: Any
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None
    cache_policy: CachePolicy | None
    ends: tuple[str, ...] | dict[str, str] | None = ()
    defer: bool = False
    timeout: Any = None
    error_handler: str | None = None
    is_error_handler: bool = False
    trace_policy: Any = None


@dataclass(slots=True)
class BranchSpec:
    """A conditional edge as added to the builder."""

    path: Callable[..., Any]
    ends: dict[Hashable, str] | None
    input_schema: Any = None


def node_name_of(node: Any) -> str:
    """Infer a node's name from the callable or runnable given to ``add_node``."""
    name = getattr(node, "name", None) if _is_runnable_like(node) else None
    if name is None:
        name = getattr(node, "__name__", node.__class__.__name__)
    return str(name)


def _is_runnable_like(obj: Any) -> bool:
    return hasattr(obj, "invoke") and hasattr(obj, "ainvoke")


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

    @property
    def _all_edges(self) -> set[tuple[str, str]]:
        return self.edges | {
            (start, end) for starts, end in self.waiting_edges for start in starts
        }

    def _add_schema(self, schema: Any, /, allow_managed: bool = True) -> None:
        if schema in self.schemas:
            return
        warn_invalid_state_schema(schema)
        channels, managed, _ = channels_of(schema)
        if managed and not allow_managed:
            names = ", ".join(managed)
            schema_name = getattr(schema, "__name__", "")
            raise ValueError(
                f"Invalid managed channels detected in {schema_name}: {names}."
                " Managed channels are not permitted in Input/Output schema."
            )
        self.schemas[schema] = {**channels, **managed}
        for key, channel in channels.items():
            if key not in self.channels:
                self.channels[key] = channel
            elif self.channels[key] != channel and not isinstance(channel, LastValue):
                raise ValueError(
                    f"Channel '{key}' already exists with a different type"
                )
        for key, spec in managed.items():
            if key not in self.managed:
                self.managed[key] = spec
            elif self.managed[key] != spec:
                raise ValueError(
                    f"Managed value '{key}' already exists with a different type"
                )

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
        if "retry" in kwargs:
            _deprecated("retry", "retry_policy", LangGraphDeprecatedSinceV05)
            legacy = kwargs.pop("retry")
            retry_policy = legacy if retry_policy is None else retry_policy
        if "input" in kwargs:
            _deprecated("input", "input_schema", LangGraphDeprecatedSinceV05)
            legacy = kwargs.pop("input")
            input_schema = legacy if input_schema is None else input_schema
        if not isinstance(node, str):
            action = node
            node = node_name_of(action)
        if self.compiled:
            logger.warning(
                "Adding a node to a graph that has already been compiled. This will "
                "not be reflected in the compiled graph."
            )
        if action is None:
            raise RuntimeError
        _check_node_name(node, self.nodes)
        # Imported here: pregel._call pulls in the engine, which importing
        # stategraph.graph must not do (import time is a benchmark target).
        from stategraph.pregel._call import warn_config_annotation

        warn_config_annotation(action)
        inferred, inferred_ends = _infer_from_hints(
            action, want_input=input_schema is None
        )
        ends: tuple[str, ...] | dict[str, str] = (
            destinations if destinations is not None else inferred_ends
        )
        schema = input_schema or inferred or self.state_schema
        handler_name = None
        if error_handler is not None:
            handler_name = f"{ERROR_HANDLER_PREFIX}{node}"
            self.nodes[handler_name] = StateNodeSpec(
                error_handler,
                None,
                input_schema=schema,
                retry_policy=None,
                cache_policy=None,
                is_error_handler=True,
            )
        self.nodes[node] = StateNodeSpec(
            wrap_callable(action, node),
            metadata,
            input_schema=schema,
            retry_policy=retry_policy,
            cache_policy=cache_policy,
            ends=ends,
            defer=defer,
            timeout=TimeoutPolicy.coerce(timeout),
            error_handler=handler_name,
            trace_policy=trace_policy,
        )
        if input_schema or inferred:
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
        if self.compiled:
            logger.warning(
                "Adding an edge to a graph that has already been compiled. This will "
                "not be reflected in the compiled graph."
            )
        if isinstance(start_key, str):
            if start_key == END:
                raise ValueError("END cannot be a start node")
            if end_key == START:
                raise ValueError("START cannot be an end node")
            self.edges.add((start_key, end_key))
            return self
        for start in start_key:
            if start == END:
                raise ValueError("END cannot be a start node")
            if start not in self.nodes:
                raise ValueError(f"Need to add_node `{start}` first")
        if end_key == START:
            raise ValueError("START cannot be an end node")
        if end_key != END and end_key not in self.nodes:
            raise ValueError(f"Need to add_node `{end_key}` first")
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
        if self.compiled:
            logger.warning(
                "Adding an edge to a graph that has already been compiled. This will "
                "not be reflected in the compiled graph."
            )
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


def _deprecated(old: str, new: str, category: Any) -> None:
    warnings.warn(
        f"`{old}` is deprecated and will be removed. Please use `{new}` instead.",
        category=category,
        stacklevel=4,
    )


def _legacy_kwargs(
    state: Any, input_: Any, output: Any, context: Any, kwargs: dict[str, Any]
) -> tuple[Any, Any, Any, Any]:
    if "config_schema" in kwargs:
        _deprecated("config_schema", "context_schema", LangGraphDeprecatedSinceV10)
        schema = kwargs.pop("config_schema")
        context = schema if context is None else context
    if "input" in kwargs:
        _deprecated("input", "input_schema", LangGraphDeprecatedSinceV05)
        schema = kwargs.pop("input")
        input_ = schema if input_ is None else input_
    if "output" in kwargs:
        _deprecated("output", "output_schema", LangGraphDeprecatedSinceV05)
        schema = kwargs.pop("output")
        output = schema if output is None else output
    if state is None:
        if input_ is None or output is None:
            raise ValueError("Must provide state_schema or input and output")
        state = input_
    return state, input_, output, context


def _check_node_name(node: str, nodes: dict[str, StateNodeSpec]) -> None:
    if node in nodes:
        raise ValueError(f"Node `{node}` already present.")
    if node in (END, START):
        raise ValueError(f"Node `{node}` is reserved.")
    for character in (NS_SEP, NS_END):
        if character in node:
            raise ValueError(
                f"'{character}' is a reserved character and is not allowed in the "
                "node names."
            )


def _infer_from_hints(action: Any, *, want_input: bool) -> tuple[Any, tuple[str, ...]]:
    """Read the first parameter's schema and ``Command[Literal[...]]`` destinations."""
    inferred: Any = None
    ends: tuple[str, ...] = ()
    call = getattr(action, "__call__", None)  # noqa: B004
    if not (
        inspect.isfunction(action) or inspect.ismethod(action) or inspect.ismethod(call)
    ):
        return None, ()
    try:
        hints = get_type_hints(call) or get_type_hints(action)
        if not hints:
            return None, ()
        if want_input:
            first = next(iter(inspect.signature(action).parameters))
            hint = hints.get(first)
            if isinstance(hint, type) and get_type_hints(hint):
                inferred = hint
        ends = _command_ends(hints.get("return"))
    except (NameError, TypeError, StopIteration):
        pass
    return inferred, ends


def _command_ends(rtn: Any) -> tuple[str, ...]:
    if rtn is None:
        return ()
    origin = get_origin(rtn)
    if origin is Union:
        for arg in get_args(rtn):
            if get_origin(arg) is Command:
                rtn, origin = arg, Command
                break
    if origin is Command and (args := get_args(rtn)) and get_origin(args[0]) is Literal:
        return tuple(get_args(args[0]))
    return ()


def _branch_name(path: Any) -> str:
    if _is_runnable_like(path):
        name = getattr(path, "name", None)
    else:
        name = getattr(path, "__name__", None)
        if name == "<lambda>":
            name = None
    return str(name) if name else "condition"


def _path_map(
    path: Any, path_map: dict[Hashable, str] | list[str] | None
) -> dict[Hashable, str] | None:
    if isinstance(path_map, dict):
        return path_map.copy()
    if isinstance(path_map, list):
        return {name: name for name in path_map}
    func = path if callable(path) and not _is_runnable_like(path) else None
    if func is None:
        return None
    call = getattr(func, "__call__", None)  # noqa: B004
    if inspect.ismethod(call) and not inspect.isfunction(func):
        func = call
    try:
        rtn = get_type_hints(func).get("return")
    except Exception:
        return None
    if rtn is not None and get_origin(rtn) is Literal:
        return {name: name for name in get_args(rtn)}
    return None


def _path_input_schema(path: Any) -> Any:
    """Schema named by the first parameter of a path function, if it is a class."""
    if _is_runnable_like(path) or not callable(path):
        return None
    func = path
    if not (inspect.isfunction(func) or inspect.ismethod(func)):
        func = getattr(path, "__call__", None)  # noqa: B004
    try:
        params = list(inspect.signature(func).parameters)
        hints = get_type_hints(func)
    except (NameError, TypeError, ValueError):
        return None
    if not params:
        return None
    hint = hints.get(params[0])
    if isinstance(hint, type) and get_type_hints(hint):
        return hint
    return None
