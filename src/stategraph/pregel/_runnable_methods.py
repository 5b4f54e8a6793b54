"""LangChain ``Runnable`` methods on graphs that do not subclass ``Runnable``.

LangGraph's compiled graphs and ``RemoteGraph`` subclass langchain-core's
``Runnable`` and so inherit ``with_retry``, ``pipe``, ``as_tool``,
``batch_as_completed`` and the rest. Ours cannot subclass it (the core must
import no langchain module) but are registered as its virtual subclasses
(``_lc_register``), so ``RunnableMethods`` gives them the same methods:

* the ones that only run the graph (``transform``, ``batch_as_completed``
  and their async twins, ``get_prompts``) are written here over the graph's
  own ``invoke``/``stream``, with LangChain's semantics;
* the ones that build LangChain objects (``with_retry``, ``|``, ``as_tool``
  ...) import langchain-core on first use and run ``Runnable``'s own method
  on the graph, so the objects they build hold the graph itself, as
  LangGraph's do (``(graph | other).first is graph``).
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from stategraph.errors import GraphBubbleUp

__all__ = ["RunnableMethods", "lc_runnable"]


def lc_runnable() -> Any:
    """LangChain's ``Runnable`` class, our graphs registered with it.

    Raises:
        ImportError: If langchain-core is not installed.
    """
    try:
        from langchain_core.runnables import Runnable
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Composing a graph with LangChain runnables (`|`, `with_retry`, "
            "`as_tool`...) needs langchain-core: pip install 'stategraph[langchain]'"
        ) from exc
    from stategraph.pregel._lc_register import register_with

    register_with(Runnable)  # normally done as langchain-core loaded: a no-op
    return Runnable


def _config_list(config: Any, length: int) -> list[dict[str, Any]]:
    """One config per input, as LangChain's ``get_config_list`` makes them."""
    if isinstance(config, Sequence) and not isinstance(config, str):
        if len(config) != length:
            raise ValueError(
                "config must be a list of the same length as inputs, "
                f"but got {len(config)} configs for {length} inputs"
            )
        return [dict(c or {}) for c in config]
    base = dict(config or {})
    # A run id can name only one run: the first keeps it, as in LangChain.
    return [base] + [
        {k: v for k, v in base.items() if k != "run_id"} for _ in range(length - 1)
    ]


def _accumulate(chunks: Iterator[Any] | list[Any]) -> tuple[bool, Any]:
    """Chunks added up with ``+``; one that cannot be added replaces the sum."""
    got, value = False, None
    for chunk in chunks:
        if not got or value is None:
            value = chunk
        else:
            try:
                value = value + chunk
            except TypeError:
                value = chunk
        got = True
    return got, value


class RunnableMethods:
    """The LangChain ``Runnable`` methods a graph lacks by not being one.

    Needs ``invoke``/``ainvoke``/``stream``/``astream`` and ``get_graph``.
    """

    __slots__ = ()

    name: str | None
    invoke: Callable[..., Any]
    ainvoke: Callable[..., Any]
    stream: Callable[..., Iterator[Any]]
    astream: Callable[..., AsyncIterator[Any]]
    get_graph: Callable[..., Any]

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        """The graph's name (or ``name``) with ``suffix``, joined as LangChain does.

        A capitalised name takes the suffix title-cased (``LangGraphInput``),
        any other name takes it after an underscore (``agent_input``).
        """
        base = name or self.name or type(self).__name__
        if not suffix:
            return base
        if base[0].isupper():
            return base + suffix.title()
        return f"{base}_{suffix.lower()}"

    # -- natively over invoke/stream ------------------------------------------

    def transform(
        self, input: Iterator[Any], config: Any = None, **kwargs: Any
    ) -> Iterator[Any]:
        """Stream the graph on its input chunks added up with ``+``.

        Args:
            input: Input chunks; a chunk that cannot be added replaces the sum.
            config: Run config.
            **kwargs: As for ``stream``.

        Yields:
            The chunks of ``stream`` (nothing when ``input`` is empty).
        """
        got, value = _accumulate(input)
        if got:
            yield from self.stream(value, config, **kwargs)

    async def atransform(
        self, input: AsyncIterator[Any], config: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Async version of ``transform``."""
        got, value = _accumulate([chunk async for chunk in input])
        if got:
            async for chunk in self.astream(value, config, **kwargs):
                yield chunk

    def batch_as_completed(
        self,
        inputs: Sequence[Any],
        config: Any = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> Iterator[tuple[int, Any]]:
        """Invoke the graph on each input in threads, yielding as each finishes.

        Args:
            inputs: The inputs.
            config: One config, or one per input; the first one's
                ``max_concurrency`` caps the threads.
            return_exceptions: Yield a run's exception instead of raising it.
            **kwargs: As for ``invoke``.

        Yields:
            ``(index of the input, output or exception)`` in finishing order.
        """
        if not inputs:
            return
        configs = _config_list(config, len(inputs))

        def one(i: int) -> tuple[int, Any]:
            try:
                return i, self.invoke(inputs[i], configs[i], **kwargs)
            except GraphBubbleUp:
                raise
            except Exception as exc:
                if not return_exceptions:
                    raise
                return i, exc

        if len(inputs) == 1:
            yield one(0)
            return
        workers = configs[0].get("max_concurrency")
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: set[Future[tuple[int, Any]]] = {
                pool.submit(contextvars.copy_context().run, one, i)
                for i in range(len(inputs))
            }
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            finally:
                for future in pending:
                    future.cancel()

    async def abatch_as_completed(
        self,
        inputs: Sequence[Any],
        config: Any = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> AsyncIterator[tuple[int, Any]]:
        """Async version of ``batch_as_completed``; runs are asyncio tasks."""
        if not inputs:
            return
        configs = _config_list(config, len(inputs))
        limit = configs[0].get("max_concurrency")
        gate: AbstractAsyncContextManager[Any] = (
            asyncio.Semaphore(limit) if limit else nullcontext()
        )

        async def one(i: int) -> tuple[int, Any]:
            async with gate:
                try:
                    return i, await self.ainvoke(inputs[i], configs[i], **kwargs)
                except GraphBubbleUp:
                    raise
                except Exception as exc:
                    if not return_exceptions:
                        raise
                    return i, exc

        for next_done in asyncio.as_completed([one(i) for i in range(len(inputs))]):
            yield await next_done

    def get_prompts(self, config: Any = None) -> list[Any]:
        """The LangChain prompt templates among the nodes of ``get_graph``."""
        if "langchain_core.prompts" not in sys.modules:
            return []  # no prompt template can exist without it
        from langchain_core.prompts.base import BasePromptTemplate

        return [
            node.data
            for node in self.get_graph(config).nodes.values()
            if isinstance(node.data, BasePromptTemplate)
        ]

    # -- through LangChain ------------------------------------------------------

    def __or__(self, other: Any) -> Any:
        """``graph | other``: a LangChain sequence running the graph, then ``other``."""
        return lc_runnable().__or__(self, other)

    def __ror__(self, other: Any) -> Any:
        """``other | graph``: a LangChain sequence running ``other``, then the graph."""
        return lc_runnable().__ror__(self, other)

    def pipe(self, *others: Any, name: str | None = None) -> Any:
        """A LangChain ``RunnableSequence`` of the graph then ``others``."""
        return lc_runnable().pipe(self, *others, name=name)

    def with_retry(
        self,
        *,
        retry_if_exception_type: tuple[type[BaseException], ...] = (Exception,),
        wait_exponential_jitter: bool = True,
        exponential_jitter_params: Any = None,
        stop_after_attempt: int = 3,
    ) -> Any:
        """LangChain's ``RunnableRetry`` over the graph (``Runnable.with_retry``)."""
        return lc_runnable().with_retry(
            self,
            retry_if_exception_type=retry_if_exception_type,
            wait_exponential_jitter=wait_exponential_jitter,
            exponential_jitter_params=exponential_jitter_params,
            stop_after_attempt=stop_after_attempt,
        )

    def with_fallbacks(
        self,
        fallbacks: Sequence[Any],
        *,
        exceptions_to_handle: tuple[type[BaseException], ...] = (Exception,),
        exception_key: str | None = None,
    ) -> Any:
        """LangChain's ``RunnableWithFallbacks`` trying ``fallbacks`` in turn."""
        return lc_runnable().with_fallbacks(
            self,
            fallbacks,
            exceptions_to_handle=exceptions_to_handle,
            exception_key=exception_key,
        )

    def with_listeners(
        self, *, on_start: Any = None, on_end: Any = None, on_error: Any = None
    ) -> Any:
        """The graph with LangChain run listeners, called with each ``Run``."""
        return lc_runnable().with_listeners(
            self, on_start=on_start, on_end=on_end, on_error=on_error
        )

    def with_alisteners(
        self, *, on_start: Any = None, on_end: Any = None, on_error: Any = None
    ) -> Any:
        """The graph with async LangChain run listeners."""
        return lc_runnable().with_alisteners(
            self, on_start=on_start, on_end=on_end, on_error=on_error
        )

    def with_types(self, *, input_type: Any = None, output_type: Any = None) -> Any:
        """The graph with overridden input and output types."""
        return lc_runnable().with_types(
            self, input_type=input_type, output_type=output_type
        )

    def bind(self, **kwargs: Any) -> Any:
        """A LangChain ``RunnableBinding`` passing ``kwargs`` to every call."""
        return lc_runnable().bind(self, **kwargs)

    def assign(self, **kwargs: Any) -> Any:
        """The graph's dict output with keys computed from it added."""
        return lc_runnable().assign(self, **kwargs)

    def pick(self, keys: str | list[str]) -> Any:
        """The graph followed by picking ``keys`` from its dict output."""
        return lc_runnable().pick(self, keys)

    def as_tool(
        self,
        args_schema: Any = None,
        *,
        name: str | None = None,
        description: str | None = None,
        arg_types: dict[str, Any] | None = None,
    ) -> Any:
        """A LangChain tool running the graph (``Runnable.as_tool``)."""
        return lc_runnable().as_tool(
            self, args_schema, name=name, description=description, arg_types=arg_types
        )
