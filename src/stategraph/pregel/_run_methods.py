"""``Pregel``'s run methods: ``stream``, ``invoke``, ``batch`` and async forms.

Each prepares a ``Run`` (``_run.prepare_run``), hands the engine's generator
to the sync or async driver and frames the chunks for the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import aclosing
from typing import Any

from stategraph._engine import _async, _sync
from stategraph._engine._loop import Loop
from stategraph.pregel._run import check_status, frame, invoke_result, prepare_run

_STREAM_KW = (
    "context",
    "stream_mode",
    "print_mode",
    "output_keys",
    "interrupt_before",
    "interrupt_after",
    "durability",
    "subgraphs",
    "debug",
    "version",
    "checkpoint_during",
    "control",
)


class RunMethods:
    """Mixin of ``Pregel``: running the graph."""

    output_channels: Any

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:
        """Run the graph and yield its stream chunks.

        Args:
            input: The input, ``None`` to resume, or a ``Command``.
            config: Run config (``thread_id`` etc. under ``configurable``).
            **kwargs: ``stream_mode``, ``subgraphs``, ``version``,
                ``interrupt_before``/``interrupt_after``, ``durability``,
                ``context``, ``output_keys``, ``print_mode``, ``debug``.

        Yields:
            Chunks shaped by ``stream_mode``, ``subgraphs`` and ``version``.
        """
        run = prepare_run(self, input, config, live="sync", **_stream_kwargs(kwargs))
        loop = Loop(self, run)
        for ns, mode, payload in _sync.drive(loop.execute(), loop, run.chunks):
            yield from frame(run, ns, mode, payload, self)
        check_status(loop)

    async def astream(
        self, input: Any, config: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Async version of ``stream``."""
        run = prepare_run(self, input, config, live="async", **_stream_kwargs(kwargs))
        loop = Loop(self, run)
        async with aclosing(_async.drive(loop.execute(), loop, run.chunks)) as stream:
            async for ns, mode, payload in stream:
                for chunk in frame(run, ns, mode, payload, self):
                    yield chunk
        check_status(loop)

    def invoke(
        self,
        input: Any,
        config: Any = None,
        *,
        stream_mode: Any = "values",
        **kwargs: Any,
    ) -> Any:
        """Run the graph to the end and return its output.

        Args:
            input: The input, ``None`` to resume, or a ``Command``.
            config: Run config.
            stream_mode: ``"values"`` returns the final state; another mode
                returns the list of its chunks.
            **kwargs: As for ``stream``.

        Returns:
            The output (with ``"__interrupt__"`` when the run paused), or a
            ``GraphOutput`` with ``version="v2"``.
        """
        if stream_mode != "values":
            return list(self.stream(input, config, stream_mode=stream_mode, **kwargs))
        run = prepare_run(
            self,
            input,
            config,
            stream_mode=(),
            output_keys=kwargs.pop("output_keys", None) or self.output_channels,
            **_stream_kwargs(kwargs),
        )
        loop = Loop(self, run)
        for ns, mode, payload in _sync.drive(loop.execute(), loop, run.chunks):
            for _ in frame(run, ns, mode, payload, self):
                pass
        check_status(loop)
        return invoke_result(run, loop, self)

    async def ainvoke(
        self,
        input: Any,
        config: Any = None,
        *,
        stream_mode: Any = "values",
        **kwargs: Any,
    ) -> Any:
        """Async version of ``invoke``."""
        if stream_mode != "values":
            return [
                c
                async for c in self.astream(
                    input, config, stream_mode=stream_mode, **kwargs
                )
            ]
        run = prepare_run(
            self,
            input,
            config,
            stream_mode=(),
            output_keys=kwargs.pop("output_keys", None) or self.output_channels,
            **_stream_kwargs(kwargs),
        )
        loop = Loop(self, run)
        async with aclosing(_async.drive(loop.execute(), loop, run.chunks)) as stream:
            async for ns, mode, payload in stream:
                for _ in frame(run, ns, mode, payload, self):
                    pass
        check_status(loop)
        return invoke_result(run, loop, self)

    def batch(
        self,
        inputs: Sequence[Any],
        config: Any = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Invoke the graph on each input (configs may be one or a list)."""
        configs = config if isinstance(config, list) else [config] * len(inputs)
        out: list[Any] = []
        for inp, cfg in zip(inputs, configs, strict=False):
            try:
                out.append(self.invoke(inp, cfg, **kwargs))
            except Exception as exc:
                if not return_exceptions:
                    raise
                out.append(exc)
        return out

    async def abatch(
        self,
        inputs: Sequence[Any],
        config: Any = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Async version of ``batch``; inputs run concurrently."""
        configs = config if isinstance(config, list) else [config] * len(inputs)
        return list(
            await asyncio.gather(
                *(
                    self.ainvoke(i, c, **kwargs)
                    for i, c in zip(inputs, configs, strict=False)
                ),
                return_exceptions=return_exceptions,
            )
        )


def _stream_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    unknown = set(kwargs) - set(_STREAM_KW)
    if unknown:
        raise TypeError(f"Unexpected keyword arguments: {sorted(unknown)}")
    return kwargs
