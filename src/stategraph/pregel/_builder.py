"""``NodeBuilder``: build ``Pregel`` nodes by hand (subscribe, run, write).

Produces the same ``PregelNode`` the ``StateGraph`` compiler makes.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import Self

from stategraph._engine._node import PregelNode
from stategraph._policies import TimeoutPolicy
from stategraph._types import CachePolicy, RetryPolicy
from stategraph.pregel._call import make_calls
from stategraph.pregel._write import ChannelWrite, ChannelWriteEntry


class NodeBuilder:
    """Fluent builder of a ``Pregel`` node.

    Example:
        >>> node = NodeBuilder().subscribe_only("a").do(lambda x: x + x).write_to("b")
    """

    def __init__(self) -> None:
        self._channels: str | list[str] = []
        self._triggers: list[str] = []
        self._tags: list[str] = []
        self._metadata: dict[str, Any] = {}
        self._writes: list[ChannelWriteEntry] = []
        self._steps: list[Any] = []
        self._retry_policy: list[RetryPolicy] = []
        self._cache_policy: CachePolicy | None = None
        self._timeout: TimeoutPolicy | None = None

    def subscribe_only(self, channel: str) -> Self:
        """Trigger on ``channel`` and take its bare value as input."""
        if self._channels:
            raise ValueError(
                "Cannot subscribe to single channels when other channels are already "
                "subscribed to"
            )
        self._channels = channel
        self._triggers.append(channel)
        return self

    def subscribe_to(self, *channels: str, read: bool = True) -> Self:
        """Trigger on ``channels``; with ``read`` their values form a dict input."""
        if isinstance(self._channels, str):
            raise ValueError(
                "Cannot subscribe to channels when subscribed to a single channel"
            )
        if read:
            self._channels.extend(channels)
        self._triggers.extend(channels)
        return self

    def read_from(self, *channels: str) -> Self:
        """Also read ``channels`` into the input, without triggering on them."""
        if isinstance(self._channels, str):
            raise ValueError(
                "Cannot read additional channels when subscribed to single channels"
            )
        self._channels.extend(channels)
        return self

    def do(self, node: Any) -> Self:
        """Run ``node`` (callable or runnable) on the input; chained calls compose."""
        self._steps.append(node)
        return self

    def write_to(self, *channels: str | ChannelWriteEntry, **kwargs: Any) -> Self:
        """Write the output to ``channels``.

        Args:
            *channels: Channel names (written the output) or entries.
            **kwargs: Channel to a fixed value, or to a function of the output.

        Returns:
            The builder.
        """
        self._writes.extend(
            ChannelWriteEntry(c) if isinstance(c, str) else c for c in channels
        )
        self._writes.extend(
            ChannelWriteEntry(k, mapper=v) if callable(v) else ChannelWriteEntry(k, v)
            for k, v in kwargs.items()
        )
        return self

    def meta(self, *tags: str, **metadata: Any) -> Self:
        """Add tags and metadata to the node's tasks."""
        self._tags.extend(tags)
        self._metadata.update(metadata)
        return self

    def add_retry_policies(self, *policies: RetryPolicy) -> Self:
        """Retry the node under ``policies``."""
        self._retry_policy.extend(policies)
        return self

    def add_cache_policy(self, policy: CachePolicy) -> Self:
        """Cache the node's results under ``policy``."""
        self._cache_policy = policy
        return self

    def set_timeout(self, timeout: Any) -> Self:
        """Limit each attempt of the node (seconds, ``timedelta`` or policy).

        Raises:
            ValueError: If the limit is not positive.
        """
        self._timeout = TimeoutPolicy.coerce(timeout)
        return self

    def build(self) -> PregelNode:
        """Return the ``PregelNode``."""
        from stategraph.pregel._pregel import Pregel

        calls = [make_calls(step, "node") for step in self._steps]
        call, acall = _chain(calls)
        return PregelNode(
            name="",
            triggers=self._triggers,
            channels=self._channels,
            call=call,
            acall=acall,
            writers=[ChannelWrite(self._writes)] if self._writes else [],
            bound=self._steps[0] if len(self._steps) == 1 else None,
            metadata=self._metadata or None,
            tags=self._tags,
            retry_policy=self._retry_policy or None,
            cache_policy=self._cache_policy,
            subgraphs=[s for s in self._steps if isinstance(s, Pregel)],
            timeout=self._timeout,
        )


def _chain(calls: list[tuple[Any, Any]]) -> tuple[Any, Any]:
    if not calls:
        return (lambda value, task: value), None
    if len(calls) == 1:
        return calls[0]

    def call(value: Any, task: Any) -> Any:
        for sync, _ in calls:
            value = sync(value, task)
        return value

    async def acall(value: Any, task: Any) -> Any:
        for sync, asynchronous in calls:
            value = (
                await asynchronous(value, task) if asynchronous else sync(value, task)
            )
        return value

    return call, acall
