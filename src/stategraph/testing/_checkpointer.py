"""Conformance suite runner for ``BaseCheckpointSaver`` implementations.

Every case is one ``async`` function taking a ``SaverDriver``. The driver
exposes the saver through awaitable methods and forwards them either to the
async API (``aput``, ``alist``, ...) or to the sync API (``put``, ``list``,
...), so the same case checks both halves of a saver.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
)
from stategraph.errors import reraise_control_flow

Mode = Literal["sync", "async"]
SaverFactory = Callable[[], Any]
"""Returns a fresh saver (used as is), or a sync or async context manager
yielding one; may be a coroutine function."""

CAPABILITIES = (
    "put",
    "put_writes",
    "get_tuple",
    "list",
    "delete_thread",
    "delete_for_runs",
    "copy_thread",
    "prune",
    "delta_channel_history",
)
# ``BaseCheckpointSaver`` derives delta-channel history from ``get_tuple``, so
# every saver has it; the cases check the override or that derivation.
_REQUIRED = frozenset(
    {"put", "put_writes", "get_tuple", "list", "delta_channel_history"}
)


class ConformanceError(AssertionError):
    """A saver broke the checkpointer contract."""


def check(condition: object, message: str) -> None:
    """Raise ``ConformanceError(message)`` unless ``condition`` holds."""
    if not condition:
        raise ConformanceError(message)


class SaverDriver:
    """One awaitable API over a saver's sync or async methods.

    Args:
        saver: The saver under test.
        mode: ``"sync"`` calls ``put``/``list``/...; ``"async"`` awaits
            ``aput``/``alist``/...
    """

    def __init__(self, saver: BaseCheckpointSaver[Any], mode: Mode) -> None:
        self.saver = saver
        self.mode = mode

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "async":
            return await getattr(self.saver, "a" + name)(*args, **kwargs)
        return getattr(self.saver, name)(*args, **kwargs)

    async def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint (``put``/``aput``)."""
        stored: RunnableConfig = await self._call(
            "put", config, checkpoint, metadata, new_versions
        )
        return stored

    async def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store writes (``put_writes``/``aput_writes``)."""
        await self._call("put_writes", config, writes, task_id, task_path)

    async def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch a checkpoint tuple (``get_tuple``/``aget_tuple``)."""
        found: CheckpointTuple | None = await self._call("get_tuple", config)
        return found

    async def list(
        self, config: RunnableConfig | None, **kwargs: Any
    ) -> list[CheckpointTuple]:
        """List checkpoints into a list (``list``/``alist``)."""
        if self.mode == "async":
            return [item async for item in self.saver.alist(config, **kwargs)]
        return list(self.saver.list(config, **kwargs))

    async def delete_thread(self, thread_id: str) -> None:
        """Delete a thread."""
        await self._call("delete_thread", thread_id)

    async def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints of runs."""
        await self._call("delete_for_runs", run_ids)

    async def copy_thread(self, source: str, target: str) -> None:
        """Copy a thread."""
        await self._call("copy_thread", source, target)

    async def get_delta_channel_history(
        self, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect delta-channel history (``get_delta_channel_history``/``a...``)."""
        found: Mapping[str, DeltaChannelHistory] = await self._call(
            "get_delta_channel_history", config=config, channels=channels
        )
        return found

    async def prune(
        self, thread_ids: Sequence[str], strategy: str = "keep_latest"
    ) -> None:
        """Prune threads."""
        await self._call("prune", thread_ids, strategy=strategy)


@dataclass(frozen=True)
class ConformanceCase:
    """One check of the suite.

    Attributes:
        name: Identifier, e.g. ``"put.roundtrip_values"``.
        capability: The saver method family it needs.
        run: The check itself.
    """

    name: str
    capability: str
    run: Callable[[SaverDriver], Awaitable[None]]

    def __str__(self) -> str:
        return self.name


_CASES: list[ConformanceCase] = []


def case(capability: str) -> Callable[[Callable[[SaverDriver], Awaitable[None]]], Any]:
    """Register the decorated coroutine function as a case of ``capability``."""

    def register(fn: Callable[[SaverDriver], Awaitable[None]]) -> Any:
        name = fn.__name__.removeprefix("case_")
        _CASES.append(ConformanceCase(f"{capability}.{name}", capability, fn))
        return fn

    return register


def checkpointer_cases(
    capabilities: Iterable[str] | None = None,
) -> list[ConformanceCase]:
    """Return the cases of the suite, optionally only for some capabilities.

    Args:
        capabilities: Names from ``CAPABILITIES``; ``None`` means all.
    """
    from stategraph.testing import (  # noqa: F401 - imported to register cases
        _checkpointer_admin,
        _checkpointer_cases,
        _checkpointer_delta,
        _checkpointer_listing,
    )

    wanted = set(CAPABILITIES if capabilities is None else capabilities)
    return [c for c in _CASES if c.capability in wanted]


def supports(saver: BaseCheckpointSaver[Any], capability: str, mode: Mode) -> bool:
    """Say whether ``saver`` implements ``capability`` for ``mode``.

    Required capabilities are assumed. Optional ones count when the saver
    overrides the sync method, or (in async mode) the async one.
    """
    if capability in _REQUIRED:
        return True
    names = [capability] if mode == "sync" else [capability, "a" + capability]
    kind = type(saver)
    return any(
        getattr(kind, name, None) is not getattr(BaseCheckpointSaver, name)
        for name in names
    )


async def _open(factory: SaverFactory) -> tuple[Any, Any]:
    made = factory()
    if inspect.isawaitable(made):
        made = await made
    if isinstance(made, BaseCheckpointSaver):
        return made, None  # used as is, even if it is also a context manager
    if isinstance(made, AbstractAsyncContextManager):
        return await made.__aenter__(), made
    if isinstance(made, AbstractContextManager):
        return made.__enter__(), made
    return made, None


async def _close(manager: Any) -> None:
    if isinstance(manager, AbstractAsyncContextManager):
        await manager.__aexit__(None, None, None)
    elif manager is not None:
        manager.__exit__(None, None, None)


async def run_checkpointer_case(
    case: ConformanceCase, factory: SaverFactory, mode: Mode = "async"
) -> Literal["passed", "skipped"]:
    """Run one case against a fresh saver from ``factory``.

    Args:
        case: The case.
        factory: Makes the saver (or a context manager yielding it).
        mode: Drive the sync or the async API.

    Returns:
        ``"passed"``, or ``"skipped"`` when the saver lacks the capability.

    Raises:
        ConformanceError: When the saver breaks the contract (other errors
            raised by the saver propagate as they are).
    """
    saver, manager = await _open(factory)
    try:
        if not supports(saver, case.capability, mode):
            return "skipped"
        await case.run(SaverDriver(saver, mode))
        return "passed"
    finally:
        await _close(manager)


@dataclass
class ConformanceReport:
    """Outcome of ``validate_checkpointer``.

    Attributes:
        results: ``(case name, mode, status, error)`` per case run, where
            status is ``"passed"``, ``"failed"`` or ``"skipped"``.
    """

    results: list[tuple[str, Mode, str, str | None]] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[str, Mode, str | None]]:
        """The failed cases with their mode and error."""
        return [(n, m, e) for n, m, s, e in self.results if s == "failed"]

    @property
    def ok(self) -> bool:
        """Whether no case failed."""
        return not self.failures

    def raise_for_failures(self) -> None:
        """Raise ``ConformanceError`` listing every failure, if any."""
        if self.failures:
            lines = [f"{name} [{mode}]: {error}" for name, mode, error in self.failures]
            raise ConformanceError("\n".join(lines))


async def validate_checkpointer(
    factory: SaverFactory,
    *,
    modes: Sequence[Mode] = ("sync", "async"),
    capabilities: Iterable[str] | None = None,
) -> ConformanceReport:
    """Run the whole suite and collect the results instead of stopping at a failure.

    Args:
        factory: Makes a fresh saver per case (or a context manager of one).
        modes: APIs to drive.
        capabilities: Only these capabilities (default: all).

    Returns:
        The report; call ``raise_for_failures()`` to fail a test with it.
    """
    report = ConformanceReport()
    for item in checkpointer_cases(capabilities):
        for mode in modes:
            try:
                status = await run_checkpointer_case(item, factory, mode)
            except Exception as exc:
                reraise_control_flow(exc)
                error = str(exc) if isinstance(exc, AssertionError) else repr(exc)
                report.results.append((item.name, mode, "failed", error))
            else:
                report.results.append((item.name, mode, status, None))
    return report
