"""Time limits of one attempt of an async task (run and idle timeouts).

The idle limit counts from the attempt's last progress: a write, a stream
chunk, a custom stream write, a child task call or ``runtime.heartbeat()``.
When the limit passes, the scope closes first so a node still running in the
background cannot record writes after the timeout, then the attempt is
cancelled and ``NodeTimeoutError`` raised.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from stategraph._config import patch_configurable
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CALL,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SEND,
    CONFIG_KEY_STREAM,
    RETURN,
)
from stategraph._internal._config import _merge_callbacks
from stategraph._runtime import Runtime
from stategraph._types import PregelExecutableTask
from stategraph.errors import NodeCancelledError, NodeTimeoutError


class _TimedAttemptScope:
    """Progress clock and write gate of one timed attempt.

    Guarded callbacks run outside the lock: they may run arbitrary user code.
    Writes are checked under the lock so ``close`` wins over a late write.
    """

    __slots__ = (
        "__weakref__",
        "_active",
        "_last_progress",
        "_last_report",
        "_lock",
        "_min_interval",
        "_on_progress",
        "_refresh_on",
    )

    def __init__(
        self,
        on_progress: Callable[[], None] | None = None,
        progress_min_interval: float = 0.0,
        refresh_on: str | None = None,
    ) -> None:
        self._active = True
        self._last_progress = time.monotonic()
        self._lock = threading.Lock()
        self._refresh_on = refresh_on
        self._on_progress = on_progress
        self._min_interval = progress_min_interval
        self._last_report = float("-inf")

    def touch(self) -> None:
        """Record progress now (resets the idle clock) and report it, rate-limited."""
        now = time.monotonic()
        self._last_progress = now
        # No lock on this hot path: the idle limit is coarse next to the race.
        if self._on_progress is not None and now - self._last_report >= (
            self._min_interval
        ):
            self._last_report = now
            self._on_progress()

    def _progress(self) -> None:
        if self._refresh_on != "heartbeat":
            self.touch()

    def close(self) -> None:
        """Refuse every later write; stream output is dropped from now on."""
        with self._lock:
            self._active = False

    def _guard_send(self, send: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def guarded(writes: Any) -> Any:
            with self._lock:
                if not self._active:
                    return None
                result = send(writes)
            self._progress()
            return result

        return guarded

    def _guard_call(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self._progress()
            return call(*args, **kwargs)

        return guarded

    def _guard_stream(self, stream: Any) -> Any:
        def guarded(chunk: Any) -> None:
            if not self._active:
                return
            self._progress()
            stream(chunk)

        # A StreamProtocol keeps its modes; other callables are wrapped as is.
        modes = getattr(stream, "modes", None)
        return guarded if modes is None else type(stream)(guarded, modes)

    def _guard_stream_writer(
        self, writer: Callable[[Any], Any]
    ) -> Callable[[Any], Any]:
        def guarded(chunk: Any) -> None:
            if not self._active:
                return
            self._progress()
            writer(chunk)

        return guarded

    def wrap_config(self, config: Any) -> Any:
        """``config`` with its write, stream, call and runtime hooks guarded."""
        conf = config.get(CONF, {})
        patch: dict[str, Any] = {}
        if (send := conf.get(CONFIG_KEY_SEND)) is not None:
            patch[CONFIG_KEY_SEND] = self._guard_send(send)
        if (stream := conf.get(CONFIG_KEY_STREAM)) is not None:
            patch[CONFIG_KEY_STREAM] = self._guard_stream(stream)
        if (call := conf.get(CONFIG_KEY_CALL)) is not None:
            patch[CONFIG_KEY_CALL] = self._guard_call(call)
        if isinstance(runtime := conf.get(CONFIG_KEY_RUNTIME), Runtime):
            patch[CONFIG_KEY_RUNTIME] = runtime.override(
                stream_writer=self._guard_stream_writer(runtime.stream_writer),
                heartbeat=self.touch,
            )
        config = patch_configurable(config, patch) if patch else config
        if self._refresh_on == "auto" and "langchain_core" in sys.modules:
            # Callback events (model tokens, tool runs) under the node count
            # as progress; without langchain loaded there can be none.
            handler = _progress_handler(self)
            config = {
                **config,
                "callbacks": _merge_callbacks(config.get("callbacks"), [handler]),
            }
        return config


def _progress_handler(scope: _TimedAttemptScope) -> Any:
    """A langchain callback handler touching ``scope`` on every event.

    Holds the scope weakly: a child manager outliving the attempt must not
    keep it alive.
    """
    from langchain_core.callbacks import BaseCallbackHandler

    ref = weakref.ref(scope)

    def touch(*args: Any, **kwargs: Any) -> None:
        if (alive := ref()) is not None:
            alive.touch()

    names = [n for n in dir(BaseCallbackHandler) if n.startswith("on_")]
    attrs: dict[str, Any] = dict.fromkeys(names, staticmethod(touch))
    attrs["run_inline"] = True  # record progress in emission order
    return type("_IdleProgressHandler", (BaseCallbackHandler,), attrs)()


def _return_value(task: PregelExecutableTask) -> Any:
    # A streamed task is drained, not awaited: its result is what it wrote.
    return next((value for chan, value in task.writes if chan == RETURN), None)


async def _call(
    task: PregelExecutableTask,
    config: Any,
    stream: bool,
    scope: _TimedAttemptScope | None = None,
) -> Any:
    try:
        if stream:
            async for _ in task.proc.astream(task.input, config):
                if scope is not None and scope._refresh_on == "auto":
                    scope.touch()
            return _return_value(task)
        return await task.proc.ainvoke(task.input, config)
    except asyncio.CancelledError as exc:
        current = asyncio.current_task()
        if current is not None and current.cancelling() == 0:
            # Nobody cancelled this task: the node raised it itself.
            raise NodeCancelledError(task.name) from exc
        raise


def _deadline(scope: _TimedAttemptScope, policy: Any, started: float) -> float:
    # policy is a coerced TimeoutPolicy: its limits are seconds.
    ends: list[float] = []
    if policy.run_timeout is not None:
        ends.append(started + policy.run_timeout)
    if policy.idle_timeout is not None:
        ends.append(scope._last_progress + policy.idle_timeout)
    return min(ends)


async def run_timed(
    task: PregelExecutableTask,
    config: Any,
    stream: bool,
    on_progress: Callable[[], None] | None = None,
) -> Any:
    """Run one attempt of ``task``, within its timeout policy if it has one."""
    policy = task.timeout
    if policy is None:
        return await _call(task, config, stream)
    return await run_within(
        policy,
        task.name,
        lambda scope: _call(task, scope.wrap_config(config), stream, scope),
        task.writes.clear,
        on_progress,
    )


async def run_within(
    policy: Any,
    name: str,
    attempt_in: Callable[[_TimedAttemptScope], Awaitable[Any]],
    discard_writes: Callable[[], None],
    on_progress: Callable[[], None] | None = None,
) -> Any:
    """Run ``attempt_in(scope)`` until it ends or its time limits pass.

    The scope is the attempt's progress clock (its guarded config hooks touch
    it). When a limit passes, the scope closes first so an attempt still
    running in the background cannot record writes, its writes so far are
    discarded, the attempt is cancelled and ``NodeTimeoutError`` raised.
    """
    idle = policy.idle_timeout
    # At most ~4 progress reports per idle window, however fast tokens come.
    scope = _TimedAttemptScope(
        on_progress, idle / 4 if idle else 0.0, policy.refresh_on
    )
    started = time.monotonic()
    attempt = asyncio.ensure_future(attempt_in(scope))
    try:
        while True:
            remaining = _deadline(scope, policy, started) - time.monotonic()
            if remaining > 0:
                done, _ = await asyncio.wait({attempt}, timeout=remaining)
                if done:
                    return attempt.result()
                continue
            scope.close()
            discard_writes()  # writes of a timed-out attempt never count
            attempt.cancel()
            # Not awaited: a node that swallows the cancellation must not hold
            # up the timeout; its later writes are refused by the closed scope.
            attempt.add_done_callback(_drain)
            elapsed = time.monotonic() - started
            run_over = policy.run_timeout is not None and elapsed >= policy.run_timeout
            raise NodeTimeoutError(
                name,
                elapsed,
                kind="run" if run_over else "idle",
                run_timeout=policy.run_timeout,
                idle_timeout=policy.idle_timeout,
            )
    finally:
        scope.close()
        if not attempt.done():
            attempt.cancel()
            attempt.add_done_callback(_drain)


def _drain(attempt: asyncio.Future[Any]) -> None:
    # Retrieve the abandoned attempt's outcome so asyncio does not log it.
    if not attempt.cancelled():
        attempt.exception()
