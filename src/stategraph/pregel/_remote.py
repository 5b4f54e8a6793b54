"""``RemoteGraph``: a graph served by a LangGraph-compatible server, run locally.

Each public method is a thin driver: it asks ``_remote_core`` for the SDK
call's arguments, makes the call with the sync or async client and hands the
reply back to ``_remote_core``. ``langgraph_sdk`` is imported only when a
client has to be made, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from stategraph._types import Command
from stategraph.pregel import _remote_core as core, _remote_v3
from stategraph.pregel._remote_runnable import RemoteRunnableMethods
from stategraph.pregel._remote_state import RemoteStateMethods
from stategraph.pregel.protocol import PregelProtocol

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient, SyncLangGraphClient

    from stategraph.graph._drawable import Graph

__all__ = ("RemoteGraph",)


# History methods take LangGraph's named keywords, not the protocol's signature.
class RemoteGraph(  # type: ignore[misc]
    RemoteStateMethods, PregelProtocol, RemoteRunnableMethods
):
    """A graph deployed behind the LangGraph Server API, used like a local one.

    It runs, streams, reads and updates threads through ``langgraph_sdk``
    clients, and can be added as a node of a local graph: the parent's stream
    modes are forwarded, interrupts raised remotely pause the parent, and the
    parent's ``Command(resume=...)`` is sent on to the server.

    Args:
        assistant_id: The assistant id or graph name on the server.
        url: The server's URL; used to make the default clients.
        api_key: API key for the default clients (else read from the
            environment by ``langgraph_sdk``).
        headers: Extra headers for the default clients.
        client: An async ``LangGraphClient`` to use instead of the default one.
        sync_client: A ``SyncLangGraphClient`` to use instead of the default one.
        config: Config merged under every call's config.
        name: The node name when added to a graph; the assistant id by default.
        distributed_tracing: Send LangSmith tracing headers with each run.

    Example:
        >>> remote = RemoteGraph("agent", url="http://127.0.0.1:8123")  # doctest: +SKIP
        >>> remote.invoke({"messages": []})  # doctest: +SKIP
    """

    assistant_id: str
    name: str | None

    def __init__(
        self,
        assistant_id: str,
        /,
        *,
        url: str | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        client: LangGraphClient | None = None,
        sync_client: SyncLangGraphClient | None = None,
        config: Any | None = None,
        name: str | None = None,
        distributed_tracing: bool = False,
    ) -> None:
        self.assistant_id = assistant_id
        self.name = assistant_id if name is None else name
        self.config = config
        self.distributed_tracing = distributed_tracing
        if url is not None and (client is None or sync_client is None):
            from langgraph_sdk import get_client, get_sync_client

            if client is None:
                client = get_client(url=url, api_key=api_key, headers=headers)
            if sync_client is None:
                sync_client = get_sync_client(url=url, api_key=api_key, headers=headers)
        self.client = client
        self.sync_client = sync_client

    # -- clients and config -------------------------------------------------

    def _async(self) -> LangGraphClient:
        if self.client is None:
            raise ValueError(
                "Async client is not initialized: please provide `url` or `client` "
                "when initializing `RemoteGraph`."
            )
        return self.client

    def _sync(self) -> SyncLangGraphClient:
        if self.sync_client is None:
            raise ValueError(
                "Sync client is not initialized: please provide `url` or "
                "`sync_client` when initializing `RemoteGraph`."
            )
        return self.sync_client

    def copy(self, update: dict[str, Any]) -> RemoteGraph:
        """A new ``RemoteGraph`` with the attributes in ``update`` replaced."""
        attrs = {**self.__dict__, **update}
        return self.__class__(attrs.pop("assistant_id"), **attrs)

    def with_config(self, config: Any | None = None, **kwargs: Any) -> RemoteGraph:
        """A copy whose calls merge ``config`` (and ``kwargs``) under their own."""
        return self.copy({"config": core.copy_config(self.config, config, kwargs)})

    def _sanitize_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The part of ``config`` that can be sent to the server."""
        return core.sanitize_config(config)

    def _merged(self, config: Any) -> dict[str, Any]:
        return core.copy_config(self.config, config, {})

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str] | None:
        return core.tracing_headers(headers) if self.distributed_tracing else headers

    # -- drawing ----------------------------------------------------------------

    def get_graph(
        self,
        config: Any | None = None,
        *,
        xray: int | bool = False,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> Graph:
        """The server's drawing of the graph (``GET /assistants/{id}/graph``).

        Args:
            config: Unused; accepted for compatibility.
            xray: Include subgraphs, down to this depth when an integer.
            headers: Extra request headers.
            params: Extra query parameters.

        Returns:
            A drawable ``Graph``.
        """
        reply = self._sync().assistants.get_graph(
            assistant_id=self.assistant_id, xray=xray, headers=headers, params=params
        )
        return core.drawable_of(reply)  # type: ignore[no-any-return]

    async def aget_graph(
        self,
        config: Any | None = None,
        *,
        xray: int | bool = False,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
    ) -> Graph:
        """Async ``get_graph``."""
        reply = await self._async().assistants.get_graph(
            assistant_id=self.assistant_id, xray=xray, headers=headers, params=params
        )
        return core.drawable_of(reply)  # type: ignore[no-any-return]

    # -- runs -------------------------------------------------------------------

    def _stream_args(
        self,
        input: Any,
        config: Any,
        stream_mode: Any,
        subgraphs: bool,
        version: str,
        headers: dict[str, str] | None,
        extra: dict[str, Any],
    ) -> tuple[dict[str, Any], core.StreamPlan]:
        sanitized = core.sanitize_config(self._merged(config))
        plan = core.plan_stream(
            stream_mode, config, subgraphs=subgraphs, version=version
        )
        command = core.command_payload(input) if isinstance(input, Command) else None
        if command is None and (resume := core.resume_command(config)) is not None:
            command = resume
        if command is not None:
            input = None
        args = {
            "thread_id": sanitized.get("configurable", {}).pop("thread_id", None),
            "assistant_id": self.assistant_id,
            "input": input,
            "command": command,
            "config": sanitized,
            "stream_mode": plan.modes,
            "stream_subgraphs": subgraphs or plan.sink is not None,
            "if_not_exists": "create",
            **extra,
            "headers": self._headers(headers),
        }
        return args, plan

    def stream(
        self,
        input: dict[str, Any] | Any,
        config: Any | None = None,
        *,
        context: Any | None = None,
        stream_mode: Any | None = None,
        interrupt_before: Any | None = None,
        interrupt_after: Any | None = None,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Start a run on the server and yield its chunks as a local graph would.

        Calls ``POST /threads/{thread_id}/runs/stream`` when the config names
        a thread (created if missing), else ``POST /runs/stream``.

        Args:
            input: The run's input, or a ``Command``.
            config: The run's config (sanitized to JSON primitives).
            context: The run's static context.
            stream_mode: Mode or modes to stream (``"updates"`` by default).
            interrupt_before: Nodes to pause before.
            interrupt_after: Nodes to pause after.
            subgraphs: Also yield subgraph chunks, tagged by namespace.
            headers: Extra request headers.
            params: Extra query parameters.
            version: ``"v2"`` yields ``StreamPart`` dicts.
            **kwargs: Passed to ``client.runs.stream`` (``stream_resumable``,
                ``durability``, ``multitask_strategy``...).

        Yields:
            Chunks shaped like a local graph's.

        Raises:
            GraphInterrupt: The remote run paused while this graph is a node.
            ParentCommand: The remote graph sent a command to its parent.
            RemoteException: The remote run failed.
        """
        args, plan = self._stream_args(
            input, config, stream_mode, subgraphs, version, headers, kwargs
        )
        run = self._sync().runs.stream(
            context=context,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            params=params,
            **args,
        )
        for chunk in run:
            if (out := plan.handle(chunk)) is not core.SKIP:
                yield out

    async def astream(
        self,
        input: dict[str, Any] | Any,
        config: Any | None = None,
        *,
        context: Any | None = None,
        stream_mode: Any | None = None,
        interrupt_before: Any | None = None,
        interrupt_after: Any | None = None,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Async ``stream``."""
        args, plan = self._stream_args(
            input, config, stream_mode, subgraphs, version, headers, kwargs
        )
        run = self._async().runs.stream(
            context=context,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            params=params,
            **args,
        )
        async for chunk in run:
            if (out := plan.handle(chunk)) is not core.SKIP:
                yield out

    _reject_v3_unsupported = staticmethod(_remote_v3.reject_unsupported)

    def stream_events(
        self, input: Any, config: Any = None, *, version: str = "v2", **kw: Any
    ) -> Any:
        """The run handle of ``with rg.stream_events(..., version="v3") as run``.

        Raises:
            NotImplementedError: Not ``version="v3"``, or an unsupported keyword.
        """
        return _remote_v3.open_sync(self, input, config, version, kw)

    async def astream_events(
        self, input: Any, config: Any = None, *, version: str = "v2", **kw: Any
    ) -> Any:
        """The run handle of ``async with await rg.astream_events(...) as run``.

        Raises:
            NotImplementedError: Not ``version="v3"``, or an unsupported keyword.
        """
        return _remote_v3.open_async(self, input, config, version, kw)

    def invoke(
        self,
        input: dict[str, Any] | Any,
        config: Any | None = None,
        *,
        context: Any | None = None,
        interrupt_before: Any | None = None,
        interrupt_after: Any | None = None,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> Any:
        """Run on the server until done and return the final state.

        Args:
            input: The run's input, or a ``Command``.
            config: The run's config.
            context: The run's static context.
            interrupt_before: Nodes to pause before.
            interrupt_after: Nodes to pause after.
            headers: Extra request headers.
            params: Extra query parameters.
            version: ``"v2"`` returns a ``GraphOutput``.
            **kwargs: Passed on to ``stream``.

        Returns:
            The last ``values`` chunk (``None`` if the server sent none).
        """
        last: Any = core.SKIP
        for last in self.stream(  # noqa: B007 - only the last chunk is kept
            input,
            config,
            context=context,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            headers=headers,
            stream_mode="values",
            params=params,
            version=version,
            **kwargs,
        ):
            pass
        return core.invoke_result(last, version)

    async def ainvoke(
        self,
        input: dict[str, Any] | Any,
        config: Any | None = None,
        *,
        context: Any | None = None,
        interrupt_before: Any | None = None,
        interrupt_after: Any | None = None,
        headers: dict[str, str] | None = None,
        params: Any | None = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> Any:
        """Async ``invoke``."""
        last: Any = core.SKIP
        async for last in self.astream(  # noqa: B007 - only the last chunk is kept
            input,
            config,
            context=context,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            headers=headers,
            stream_mode="values",
            params=params,
            version=version,
            **kwargs,
        ):
            pass
        return core.invoke_result(last, version)
