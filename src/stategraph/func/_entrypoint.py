"""``@entrypoint``: turn a function into a one-node graph that can call tasks."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_args, get_origin

from stategraph._constants import END, PREVIOUS, START
from stategraph._engine._node import PregelNode
from stategraph._policies import TimeoutPolicy, sync_timeout_unsupported
from stategraph._types import CachePolicy, RetryPolicy
from stategraph.channels import EphemeralValue, LastValue
from stategraph.checkpoint.serde._registry import register_types
from stategraph.pregel._call import _is_async_callable, make_calls
from stategraph.pregel._pregel import Pregel
from stategraph.warnings import LangGraphDeprecatedSinceV05, LangGraphDeprecatedSinceV10

ContextT = TypeVar("ContextT")
R = TypeVar("R")
S = TypeVar("S")
_MISSING = object()


class entrypoint(Generic[ContextT]):
    """Decorator that turns a function into a workflow (a ``Pregel`` graph).

    The function takes one input (use a dict for several values) and may ask
    for ``config``, ``previous`` (its last saved return value on the thread,
    with a checkpointer), ``runtime``, ``store`` or ``writer`` by parameter
    name. It may call ``@task`` functions, ``interrupt()`` and stream custom
    data. The graph streams in ``updates`` mode by default and its output is
    the function's return value.

    Args:
        checkpointer: Saver for the workflow's state (enables ``previous``,
            interrupts and resume).
        store: Long-term memory store given to the function and tasks.
        cache: Cache for task and workflow results.
        context_schema: Schema of the run context (``context=``).
        cache_policy: Cache policy of the workflow itself.
        retry_policy: Retry policy (or policies) of the workflow.
        timeout: Per-attempt timeout for async workflows.
        **kwargs: ``config_schema`` and ``retry`` (deprecated names).

    Example:
        >>> @entrypoint()
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> double.invoke(2)
        4
    """

    def __init__(
        self,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        context_schema: type[ContextT] | None = None,
        cache_policy: CachePolicy | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> None:
        if (schema := kwargs.get("config_schema", _MISSING)) is not _MISSING:
            warnings.warn(
                "`config_schema` is deprecated and will be removed. Please use "
                "`context_schema` instead.",
                category=LangGraphDeprecatedSinceV10,
                stacklevel=2,
            )
            if context_schema is None:
                context_schema = schema
        if (retry := kwargs.get("retry", _MISSING)) is not _MISSING:
            warnings.warn(
                "`retry` is deprecated and will be removed. Please use "
                "`retry_policy` instead.",
                category=LangGraphDeprecatedSinceV05,
                stacklevel=2,
            )
            if retry_policy is None:
                retry_policy = retry
        self.checkpointer = checkpointer
        self.store = store
        self.cache = cache
        self.cache_policy = cache_policy
        self.retry_policy = retry_policy
        self.timeout = TimeoutPolicy.coerce(timeout)
        self.context_schema = context_schema

    @dataclass(kw_only=True, slots=True, frozen=True)
    class final(Generic[R, S]):
        """Return ``value`` to the caller but save ``save`` as ``previous``.

        Attributes:
            value: What the workflow returns.
            save: What the next run on the thread receives as ``previous``.
        """

        value: R
        save: S

    def __call__(self, func: Callable[..., Any]) -> Pregel:
        """Build the workflow graph of ``func``.

        Raises:
            NotImplementedError: ``func`` is a generator.
            ValueError: ``func`` takes no parameter, or has a timeout but is sync.
            TypeError: ``-> entrypoint.final[...]`` lacks one of its two types.
        """
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            raise NotImplementedError(
                "Generators are not supported in the Functional API."
            )
        sig = inspect.signature(func)
        first = next(iter(sig.parameters.values()), None)
        if first is None:
            raise ValueError("Entrypoint function must have at least one parameter")
        input_type = first.annotation if first.annotation is not first.empty else Any
        output_type, save_type = _return_types(sig.return_annotation)
        # As compiling a StateGraph does: classes the signature names load in
        # any process that defines this workflow, not only the one that wrote.
        hints = (input_type, output_type, save_type, self.context_schema)
        register_types(*(hint for hint in hints if hint is not None))
        is_async = _is_async_callable(func)
        if self.timeout is not None and not is_async:
            raise sync_timeout_unsupported(func.__name__)
        call, acall = make_calls(func, func.__name__, recurse=False)
        node = PregelNode(
            name=func.__name__,
            triggers=[START],
            channels=START,
            call=call,
            acall=acall,
            writers=[_write_result],
            bound=func,
            timeout=self.timeout,
        )
        # A workflow mostly waits on its tasks: in async runs a sync one gets
        # a worker thread, so the event loop stays free to run those tasks.
        node.always_thread = not is_async
        return Pregel(
            nodes={func.__name__: node},
            channels={
                START: EphemeralValue(input_type),
                END: LastValue(output_type, END),
                PREVIOUS: LastValue(save_type, PREVIOUS),
            },
            input_channels=START,
            output_channels=END,
            stream_channels=END,
            stream_mode="updates",
            stream_eager=True,
            checkpointer=self.checkpointer,
            store=self.store,
            cache=self.cache,
            cache_policy=self.cache_policy,
            retry_policy=self.retry_policy or (),
            context_schema=self.context_schema,
        )


def _write_result(task: Any, output: Any) -> None:
    if isinstance(output, entrypoint.final):
        task.writes.append((END, output.value))
        task.writes.append((PREVIOUS, output.save))
    else:
        task.writes.append((END, output))
        task.writes.append((PREVIOUS, output))


def _return_types(annotation: Any) -> tuple[Any, Any]:
    if annotation is inspect.Signature.empty or annotation is entrypoint.final:
        return Any, Any
    if get_origin(annotation) is entrypoint.final:
        args = get_args(annotation)
        if len(args) != 2:
            raise TypeError(
                "Please an annotation for both the return_ and the save values."
                "For example, `-> entrypoint.final[int, str]` would assign a "
                "return_ a type of `int` and save the type `str`."
            )
        return args[0], args[1]
    return annotation, annotation
