"""What ``StateGraph`` records, and the checks and inferences behind its methods.

Node and branch specs, node-name rules, schemas and destinations read from type
hints, and the deprecated constructor keywords.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from stategraph._constants import END, NS_END, NS_SEP, START
from stategraph._policies import TimeoutPolicy
from stategraph._types import CachePolicy, Command, RetryPolicy
from stategraph.channels import LastValue
from stategraph.graph._node_data import wrap_callable
from stategraph.graph._schema import channels_of, warn_invalid_state_schema
from stategraph.warnings import LangGraphDeprecatedSinceV05, LangGraphDeprecatedSinceV10

ERROR_HANDLER_PREFIX = "__error_handler__"
"""Name prefix of the node ``add_node(..., error_handler=...)`` adds."""


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


def _take_legacy(
    kwargs: dict[str, Any], old: str, new: str, category: Any, current: Any
) -> Any:
    """Pop a deprecated keyword, warning; the new keyword's value wins if given."""
    if old not in kwargs:
        return current
    warnings.warn(
        f"`{old}` is deprecated and will be removed. Please use `{new}` instead.",
        category=category,
        # Past this helper, the _legacy_* function and the builder method.
        stacklevel=4,
    )
    legacy = kwargs.pop(old)
    return legacy if current is None else current


def _legacy_kwargs(
    state: Any, input_: Any, output: Any, context: Any, kwargs: dict[str, Any]
) -> tuple[Any, Any, Any, Any]:
    v05, v10 = LangGraphDeprecatedSinceV05, LangGraphDeprecatedSinceV10
    context = _take_legacy(kwargs, "config_schema", "context_schema", v10, context)
    input_ = _take_legacy(kwargs, "input", "input_schema", v05, input_)
    output = _take_legacy(kwargs, "output", "output_schema", v05, output)
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


def add_schema(graph: Any, schema: Any, allow_managed: bool) -> None:
    """Record ``schema``'s channels and managed values on the builder ``graph``."""
    if schema in graph.schemas:
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
    graph.schemas[schema] = {**channels, **managed}
    for key, channel in channels.items():
        if key not in graph.channels:
            graph.channels[key] = channel
        elif graph.channels[key] != channel and not isinstance(channel, LastValue):
            raise ValueError(f"Channel '{key}' already exists with a different type")
    for key, spec in managed.items():
        if key not in graph.managed:
            graph.managed[key] = spec
        elif graph.managed[key] != spec:
            raise ValueError(
                f"Managed value '{key}' already exists with a different type"
            )


def node_specs(
    node: str,
    action: Any,
    state_schema: Any,
    *,
    input_schema: Any,
    destinations: dict[str, str] | tuple[str, ...] | None,
    error_handler: Any,
    timeout: Any,
    **options: Any,
) -> tuple[dict[str, StateNodeSpec], Any]:
    """The specs ``add_node`` records: the node's error handler's, then the node's.

    ``options`` are the node's ``metadata``, ``retry_policy``, ``cache_policy``,
    ``defer`` and ``trace_policy``. Also returns the schema the builder must
    add (the node reads one of its own), else ``None``.
    """
    # Imported here: the stategraph.pregel package pulls in the engine,
    # which importing stategraph.graph must not do (import time is a
    # benchmark target).
    from stategraph.pregel._inject import warn_config_annotation

    warn_config_annotation(action)
    inferred, inferred_ends = _infer_from_hints(action, want_input=input_schema is None)
    ends = destinations if destinations is not None else inferred_ends
    schema = input_schema or inferred or state_schema
    specs: dict[str, StateNodeSpec] = {}
    handler_name = None
    if error_handler is not None:
        handler_name = f"{ERROR_HANDLER_PREFIX}{node}"
        specs[handler_name] = StateNodeSpec(
            error_handler,
            None,
            input_schema=schema,
            retry_policy=None,
            cache_policy=None,
            is_error_handler=True,
        )
    metadata = options.pop("metadata")
    specs[node] = StateNodeSpec(
        wrap_callable(action, node),
        metadata,
        input_schema=schema,
        ends=ends,
        timeout=TimeoutPolicy.coerce(timeout),
        error_handler=handler_name,
        **options,
    )
    return specs, schema if input_schema or inferred else None


def _legacy_node_kwargs(
    kwargs: dict[str, Any], retry_policy: Any, input_schema: Any
) -> tuple[Any, Any]:
    """Apply ``add_node``'s deprecated ``retry=`` / ``input=`` spellings."""
    v05 = LangGraphDeprecatedSinceV05
    retry_policy = _take_legacy(kwargs, "retry", "retry_policy", v05, retry_policy)
    input_schema = _take_legacy(kwargs, "input", "input_schema", v05, input_schema)
    return retry_policy, input_schema


def _check_waiting_edge(
    starts: Sequence[str], end: str, nodes: dict[str, StateNodeSpec]
) -> None:
    """Check a waiting edge's ends exist (they must be added before it)."""
    for start in starts:
        if start == END:
            raise ValueError("END cannot be a start node")
        if start not in nodes:
            raise ValueError(f"Need to add_node `{start}` first")
    if end == START:
        raise ValueError("START cannot be an end node")
    if end != END and end not in nodes:
        raise ValueError(f"Need to add_node `{end}` first")
