"""Conformance suite runner for ``BaseStore`` implementations.

Every case is one ``async`` function taking a ``StoreDriver``, which calls
the store's async methods (``aput``, ``asearch``, ...) or its sync ones
(``put``, ``search``, ..., run in a worker thread so async-first stores
accept them), so one case checks both halves of a store. A case declares
what it needs of the store (a vector index, TTL support, a store clock); the
runner builds the store for it through the caller's factory.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from stategraph.store.base import BaseStore, Item, SearchItem
from stategraph.testing._checkpointer import ConformanceError, check

Mode = Literal["sync", "async"]
StoreFactory = Callable[..., Any]
"""Called with ``index=`` and ``ttl=`` keywords (``None`` when unused);
returns a store, or a sync or async context manager yielding one; may be a
coroutine function."""

FEATURES = ("ttl", "no_ttl", "vector", "clock", "recency", "json")
"""What cases may need: TTL support (or its absence: ``put(ttl=...)``
raises), a vector index, a replaceable clock (``store._now``), search
ordered by ``updated_at`` descending, and values stored as JSON (so a value
JSON cannot hold is refused)."""

DIMS = 4


def embed(texts: Iterable[str]) -> list[list[float]]:
    """Deterministic toy embeddings: letter counts of a, b, c and the length."""
    out = []
    for text in texts:
        low = text.lower()
        out.append(
            [float(low.count("a")), float(low.count("b")), float(low.count("c")), 1.0]
        )
    return out


INDEX = {"dims": DIMS, "embed": embed, "fields": ["text"]}


class Clock:
    """A store clock the cases move by hand (installed as ``store._now``)."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        """Move time forward."""
        self.now += timedelta(minutes=minutes)


class StoreDriver:
    """One awaitable API over a store's sync or async methods.

    Args:
        store: The store under test.
        mode: ``"sync"`` calls ``put``/``search``/... in a worker thread;
            ``"async"`` awaits ``aput``/``asearch``/...
        clock: The store's clock, when the case asked for one.
    """

    def __init__(
        self, store: BaseStore, mode: Mode, clock: Clock | None = None
    ) -> None:
        self.store = store
        self.mode = mode
        self.clock = clock

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``name`` (sync, in a thread) or ``a<name>`` (async)."""
        if self.mode == "async":
            return await getattr(self.store, "a" + name)(*args, **kwargs)
        return await asyncio.to_thread(getattr(self.store, name), *args, **kwargs)

    async def put(
        self, namespace: tuple[str, ...], key: str, value: Any, **kw: Any
    ) -> None:
        """``put``/``aput``."""
        await self.call("put", namespace, key, value, **kw)

    async def get(self, namespace: tuple[str, ...], key: str, **kw: Any) -> Item | None:
        """``get``/``aget``."""
        found: Item | None = await self.call("get", namespace, key, **kw)
        return found

    async def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """``delete``/``adelete``."""
        await self.call("delete", namespace, key)

    async def search(self, prefix: tuple[str, ...], **kw: Any) -> list[SearchItem]:
        """``search``/``asearch``."""
        found: list[SearchItem] = await self.call("search", prefix, **kw)
        return found

    async def list_namespaces(self, **kw: Any) -> list[tuple[str, ...]]:
        """``list_namespaces``/``alist_namespaces``."""
        found: list[tuple[str, ...]] = await self.call("list_namespaces", **kw)
        return found

    async def batch(self, ops: list[Any]) -> list[Any]:
        """``batch``/``abatch``."""
        found: list[Any] = await self.call("batch", ops)
        return found

    async def sweep(self) -> int:
        """Run the store's ``sweep_ttl`` (sync or async as the store has it)."""
        result = self.store.sweep_ttl()  # type: ignore[attr-defined]
        swept: int = await result if inspect.isawaitable(result) else result
        return swept

    def advance(self, minutes: float) -> None:
        """Move the store's clock forward."""
        check(self.clock is not None, "case did not ask for a clock")
        assert self.clock is not None
        self.clock.advance(minutes)


@dataclass(frozen=True)
class StoreCase:
    """One check of the store suite.

    Attributes:
        name: Identifier, e.g. ``"search.filter_operators"``.
        run: The check itself.
        needs: Features the store must have (see ``FEATURES``).
        index: Build the store with the suite's toy vector index.
        ttl: TTL settings to build the store with.
    """

    name: str
    run: Callable[[StoreDriver], Awaitable[None]]
    needs: frozenset[str] = frozenset()
    index: bool = False
    ttl: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.name


@dataclass
class _Registry:
    cases: list[StoreCase] = field(default_factory=list)


REGISTRY = _Registry()


def store_case(
    name: str,
    *,
    needs: Iterable[str] = (),
    index: bool = False,
    ttl: dict[str, Any] | None = None,
) -> Callable[[Callable[[StoreDriver], Awaitable[None]]], Any]:
    """Register the decorated coroutine function as a suite case."""

    def register(run: Callable[[StoreDriver], Awaitable[None]]) -> Any:
        needed = frozenset(needs) | ({"vector"} if index else set())
        needed |= {"ttl"} if ttl is not None else set()
        REGISTRY.cases.append(StoreCase(name, run, needed, index, ttl))
        return run

    return register


def store_cases(features: Iterable[str] | None = None) -> list[StoreCase]:
    """Return the cases a store with ``features`` can run (all when ``None``)."""
    # Importing the case modules registers their cases.
    from stategraph.testing import _store_cases, _store_cases_more  # noqa: F401

    if features is None:
        return list(REGISTRY.cases)
    have = frozenset(features)
    unknown = have - frozenset(FEATURES)
    if unknown:
        raise ValueError(f"unknown store features {sorted(unknown)}; know {FEATURES}")
    return [case for case in REGISTRY.cases if case.needs <= have]


async def _open(factory: StoreFactory, case: StoreCase) -> tuple[Any, Any]:
    made = factory(index=dict(INDEX) if case.index else None, ttl=case.ttl)
    if inspect.isawaitable(made):
        made = await made
    if hasattr(made, "__aenter__"):
        return await made.__aenter__(), made
    if hasattr(made, "__enter__"):
        return made.__enter__(), made
    return made, None


async def _close(manager: Any) -> None:
    if manager is None:
        return
    if hasattr(manager, "__aexit__"):
        await manager.__aexit__(None, None, None)
    else:
        manager.__exit__(None, None, None)


async def run_store_case(case: StoreCase, factory: StoreFactory, mode: Mode) -> None:
    """Run one case on a fresh store from ``factory``.

    Raises:
        ConformanceError: If the store breaks the contract.
    """
    store, manager = await _open(factory, case)
    try:
        clock = None
        if "clock" in case.needs or case.ttl is not None:
            clock = Clock()
            store._now = clock  # the SQL stores read their time from here
        await case.run(StoreDriver(store, mode, clock))
    finally:
        stopper = getattr(store, "stop_ttl_sweeper", None)
        if stopper is not None:
            result = stopper()
            if inspect.isawaitable(result):
                await result
        await _close(manager)


__all__ = [
    "FEATURES",
    "Clock",
    "ConformanceError",
    "StoreCase",
    "StoreDriver",
    "embed",
    "run_store_case",
    "store_case",
    "store_cases",
]
