"""``PregelNode``: what the engine knows about a node once compiled.

Built once by the graph compiler; the engine only reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stategraph._constants import CONF

Writer = Callable[[Any, Any], Any]
"""``writer(task, output)`` appends to ``task.writes``; may return an awaitable."""


def _policies(retry_policy: Any) -> tuple[Any, ...] | None:
    """A node's retry policies as a tuple (``None``: none given)."""
    if retry_policy is None:
        return None
    # RetryPolicy is itself a NamedTuple, so tell one policy from a sequence
    # of policies by its fields, not by isinstance(tuple).
    if hasattr(retry_policy, "_fields"):
        return (retry_policy,)
    return tuple(retry_policy)


class PregelNode:
    """A compiled node: triggers, what it reads, how it runs, what it writes.

    Attributes:
        triggers: Channels whose update schedules the node.
        channels: Channels read as input (a list gives a dict, a str the value).
        mapper: Turns the input dict into the node's schema object, if any.
        call: ``call(input, task)`` runs the user code synchronously.
        acall: ``acall(input, task)`` returns an awaitable, for async code;
            ``None`` when the node is sync only.
        writers: Turn the node's output into writes, in order.
    """

    __slots__ = (
        "acall",
        "always_thread",
        "bound",
        "bound_blocking",
        "cache_identity",
        "cache_policy",
        "call",
        "channels",
        "error_handler",
        "fast_known",
        "hidden",
        "mapper",
        "metadata",
        "name",
        "retry_policy",
        "slow_runs",
        "sorted_triggers",
        "streams_inside",
        "subgraphs",
        "tags",
        "timeout",
        "trace_policy",
        "triggers",
        "writers",
    )

    def __init__(
        self,
        *,
        name: str,
        triggers: Sequence[str],
        channels: list[str] | str,
        call: Callable[[Any, Any], Any],
        acall: Callable[[Any, Any], Any] | None = None,
        mapper: Callable[[Any], Any] | None = None,
        writers: Sequence[Writer] = (),
        bound: Any = None,
        metadata: dict[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        retry_policy: Any = None,
        cache_policy: Any = None,
        subgraphs: Sequence[Any] = (),
        timeout: Any = None,
        trace_policy: Any = None,
    ) -> None:
        self.name = name
        self.triggers = list(triggers)
        # ``triggers`` sorted, as tasks name them; filled in by the first
        # task (edges may still add triggers while the graph compiles).
        self.sorted_triggers: tuple[str, ...] | None = None
        self.channels = channels
        self.call = call
        self.acall = acall
        self.cache_identity = _identifier(bound) or "__dynamic__"
        self.mapper = mapper
        self.writers = list(writers)
        self.bound = bound
        self.metadata = metadata
        self.tags = list(tags) if tags else None
        self.hidden = self.tags is not None and "langsmith:hidden" in self.tags
        self.retry_policy = _policies(retry_policy)
        self.cache_policy = cache_policy
        self.subgraphs = list(subgraphs)
        self.timeout = timeout
        # What the node's traced run records (``TracePolicy``), if not as is.
        self.trace_policy = trace_policy
        # Learned at run time: the node blocked the thread once, so it runs in
        # worker threads from then on.
        self.bound_blocking = False
        self.slow_runs = 0
        # Set for nodes known to wait on other work (functional entrypoints):
        # async runs always give them a worker thread.
        self.always_thread = False
        # Whether the last run finished quickly: a live stream need not hand
        # such a node to another thread to show its output in time.
        self.fast_known = False
        # Set once the node was seen streaming while it runs (tokens, custom
        # writes, subgraph output): a quick run says nothing about the next
        # one (a model may answer from a cache, then stream for seconds).
        self.streams_inside = False
        # Name of the node that handles this node's failures, if any.
        self.error_handler: str | None = None

    def note_duration(self, seconds: float, slow: float) -> None:
        """Learn whether the node blocks: two slow runs in a row say it does.

        One slow run is not enough: first calls often pay for imports or
        warm-up, and a node judged blocking pays a thread hand-off each run.
        """
        self.fast_known = seconds <= slow
        if seconds > slow:
            self.slow_runs += 1
            if self.slow_runs >= 2:
                self.bound_blocking = True
        else:
            self.slow_runs = 0
            self.bound_blocking = False

    def streams_late(self) -> bool:
        """Whether a live stream should run this node off the caller's thread."""
        return not self.fast_known or self.always_thread or self.streams_inside

    def copy(self, update: dict[str, Any] | None = None) -> PregelNode:
        """A copy with the attributes in ``update`` replaced (lists not shared)."""
        new = object.__new__(type(self))
        for slot in PregelNode.__slots__:
            setattr(new, slot, getattr(self, slot))
        new.triggers, new.writers = list(self.triggers), list(self.writers)
        for key, value in (update or {}).items():
            setattr(new, key, value)
        new.sorted_triggers = None
        return new

    def __repr__(self) -> str:
        return f"PregelNode(name={self.name!r}, triggers={self.triggers!r})"

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """Run the node's own code on ``input``, outside any run; nothing is written.

        LangGraph's ``graph.nodes[name].invoke(...)``: the node's metadata and
        tags are merged into ``config``.
        """
        return self.call(input, _Detached(self, config))

    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """``invoke`` through the node's async code (its sync code when it has none)."""
        if self.acall is None:
            return self.invoke(input, config)
        return await self.acall(input, _Detached(self, config))


class AwaitOutput:
    """A node's output still to be awaited: what its sync code handed the event loop.

    A sync function run on the event loop of an async run that returns a
    runnable has it run through ``ainvoke``, as LangGraph does; the call
    cannot wait for that there, so the runner (or a branch writer) awaits it.
    """

    __slots__ = ("awaitable",)

    def __init__(self, awaitable: Any) -> None:
        self.awaitable = awaitable

    def __await__(self) -> Any:
        return self.awaitable.__await__()


class _Detached:
    """Stands in for a task when a node is invoked by hand: only a config."""

    __slots__ = ("config",)

    def __init__(self, node: PregelNode, config: Any) -> None:
        config = dict(config or {})
        config["metadata"] = {**(node.metadata or {}), **config.get("metadata", {})}
        config["tags"] = sorted({*(node.tags or ()), *config.get("tags", ())})
        config[CONF] = dict(config.get(CONF) or {})
        self.config = config


def _identifier(obj: Any) -> str | None:
    """``module.qualname`` of a node's callable: its cache namespace."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if name is None or module is None:
        return None
    return f"{module}.{name}"
