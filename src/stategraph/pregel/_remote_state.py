"""``RemoteGraph``'s thread-state methods: state, history and updates.

Each asks ``_remote_core`` for the SDK call's arguments, calls the sync or
async client and turns the reply into LangGraph's records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stategraph._types import StateSnapshot
from stategraph.pregel import _remote_core as core

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient, SyncLangGraphClient

    from stategraph._config import RunnableConfig


class RemoteStateMethods:
    """Mixin of ``RemoteGraph``: a remote thread's state."""

    # Provided by ``RemoteGraph``.
    def _async(self) -> LangGraphClient:
        raise NotImplementedError

    def _sync(self) -> SyncLangGraphClient:
        raise NotImplementedError

    def _merged(self, config: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _create_state_snapshot(self, state: Mapping[str, Any]) -> StateSnapshot:
        return core.snapshot_of(state)

    def _state_args(self, config: Any, **extra: Any) -> dict[str, Any]:
        merged = self._merged(config)
        return {
            "thread_id": core.thread_id_of(merged),
            "checkpoint": core.checkpoint_of(merged),
            **extra,
        }

    def get_state(
        self,
        config: Any,
        *,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> StateSnapshot:
        """The thread's state, at the checkpoint the config names if any.

        Args:
            config: A config with ``configurable.thread_id``.
            subgraphs: Include the state of subgraphs.
            headers: Extra request headers.
            params: Extra query parameters.

        Returns:
            The ``StateSnapshot``.
        """
        args = self._state_args(
            config, subgraphs=subgraphs, headers=headers, params=params
        )
        return core.snapshot_of(self._sync().threads.get_state(**args))

    async def aget_state(
        self,
        config: Any,
        *,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> StateSnapshot:
        """Async ``get_state``."""
        args = self._state_args(
            config, subgraphs=subgraphs, headers=headers, params=params
        )
        return core.snapshot_of(await self._async().threads.get_state(**args))

    def _history_args(
        self, config: Any, filter: Any, before: Any, limit: int | None, **extra: Any
    ) -> dict[str, Any]:
        return self._state_args(
            config,
            limit=limit or 10,
            before=core.checkpoint_of(before),
            metadata=filter,
            **extra,
        )

    def get_state_history(  # LangGraph's named keywords
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any | None = None,
        limit: int | None = None,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> Iterator[StateSnapshot]:
        """The thread's snapshots, newest first (``POST /threads/{id}/history``).

        Args:
            config: A config with ``configurable.thread_id``.
            filter: Metadata the snapshots must match.
            before: Only snapshots older than this config's checkpoint.
            limit: At most this many snapshots (10 by default).
            headers: Extra request headers.
            params: Extra query parameters.

        Yields:
            ``StateSnapshot`` objects.
        """
        args = self._history_args(
            config, filter, before, limit, headers=headers, params=params
        )
        for state in self._sync().threads.get_history(**args):
            yield core.snapshot_of(state)

    async def aget_state_history(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any | None = None,
        limit: int | None = None,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """Async ``get_state_history``."""
        args = self._history_args(
            config, filter, before, limit, headers=headers, params=params
        )
        for state in await self._async().threads.get_history(**args):
            yield core.snapshot_of(state)

    def bulk_update_state(self, config: Any, updates: Sequence[Any]) -> Any:
        """Not offered by the server API."""
        raise NotImplementedError

    async def abulk_update_state(self, config: Any, updates: Sequence[Any]) -> Any:
        """Not offered by the server API."""
        raise NotImplementedError

    def update_state(
        self,
        config: Any,
        values: dict[str, Any] | Any | None,
        as_node: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> RunnableConfig:
        """Write ``values`` to the thread as if ``as_node`` had returned them.

        Args:
            config: A config with ``configurable.thread_id``.
            values: The update.
            as_node: The node the update is attributed to.
            headers: Extra request headers.
            params: Extra query parameters.

        Returns:
            The config of the new checkpoint.
        """
        args = self._state_args(
            config, values=values, as_node=as_node, headers=headers, params=params
        )
        reply: Any = self._sync().threads.update_state(**args)
        return core.config_of(reply["checkpoint"])

    async def aupdate_state(
        self,
        config: Any,
        values: dict[str, Any] | Any | None,
        as_node: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> RunnableConfig:
        """Async ``update_state``."""
        args = self._state_args(
            config, values=values, as_node=as_node, headers=headers, params=params
        )
        reply: Any = await self._async().threads.update_state(**args)
        return core.config_of(reply["checkpoint"])
