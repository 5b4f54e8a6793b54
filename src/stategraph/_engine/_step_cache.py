"""A step's node cache and its failures: a step of a graph with a cache.

Before the step's tasks run, tasks whose cached writes are found take them
instead of running; after, the writes of those that ran are cached. Then the
step's failures are raised: an error before any interrupt, interrupts
gathered into one ``GraphInterrupt``. Like the loop, this yields effects and
performs no I/O itself.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from stategraph._constants import ERROR, INTERRUPT
from stategraph._engine._effects import ReadCache, WriteCache
from stategraph.errors import GraphBubbleUp, GraphInterrupt

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop
    from stategraph._engine._task import Task

Effects = Generator[Any, Any, Any]


def run_step(loop: Loop) -> Effects:
    """A step with the node cache: hits are not run, results are stored."""
    todo = [t for t in loop.tasks if not t.writes]
    todo = yield from match_cache(loop, todo)
    yield loop._start_step(todo)
    yield from write_cache(loop, todo)
    if loop.failures:
        raise_failures(loop.failures)


def match_cache(loop: Loop, todo: list[Task]) -> Effects:
    """The tasks of ``todo`` left to run once cached writes are taken."""
    keyed = [t for t in todo if loop.graph.cache_key_for(t) is not None]
    if not keyed:
        return todo
    # Tasks of a step with equal keys: as in LangGraph (a dict by key),
    # only the last of them takes the cached writes, the others run.
    by_key: dict[Any, Task] = {}
    for t in keyed:
        by_key[(t.cache_key.ns, t.cache_key.key)] = t
    hits = yield ReadCache(list(by_key))
    matched = set()
    for k, task in by_key.items():
        if k in hits:
            matched.add(id(task))
            task.writes.extend(hits[k])
            yield from loop.put_writes(task.id, task.writes, cached=True, task=task)
    return [t for t in todo if id(t) not in matched]


def write_cache(loop: Loop, todo: list[Task]) -> Effects:
    """Cache the writes of the step's tasks that finished."""
    # every task that finished, also when a sibling failed or interrupted:
    # LangGraph caches writes as each task commits
    failed = {id(t) for t, _ in loop.failures}
    pairs = {
        (t.cache_key.ns, t.cache_key.key): (t.writes, t.cache_key.ttl)
        for t in todo
        if t.cache_key is not None
        and id(t) not in failed
        and t.writes
        and not any(c in (INTERRUPT, ERROR) for c, _ in t.writes)
    }
    if pairs:
        # writes held for the checkpoint are saved before the cache
        yield from loop.flush_held()
        yield WriteCache(pairs)


def raise_failures(failures: list[tuple[Task, BaseException]]) -> None:
    """Raise a step's failures: the first error, else all interrupts as one."""
    for _task, exc in failures:
        if not isinstance(exc, GraphBubbleUp):
            raise exc
    interrupts = [
        i
        for _, exc in failures
        if isinstance(exc, GraphInterrupt)
        for i in (exc.args[0] if exc.args else ())
    ]
    for _, exc in failures:
        if not isinstance(exc, GraphInterrupt):
            raise exc
    raise GraphInterrupt(tuple(interrupts))
