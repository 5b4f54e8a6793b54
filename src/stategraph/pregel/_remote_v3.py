"""``RemoteGraph.stream_events(version="v3")``: argument checks and handle set-up.

Kept apart from ``_remote`` so the v3 path (which needs ``langgraph_sdk``'s
thread streams) stays out of the module every ``RemoteGraph`` user imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stategraph.pregel import _remote_core as core
from stategraph.pregel._remote_run_stream import (
    _AsyncRemoteGraphRunStream,
    _RemoteGraphRunStream,
)

if TYPE_CHECKING:
    from stategraph.pregel._remote import RemoteGraph

__all__ = ("V3_SUPPORTED_KWARGS", "open_async", "open_sync", "reject_unsupported")

V3_SUPPORTED_KWARGS = frozenset({"metadata", "headers"})
"""Extra keyword arguments ``stream_events(version="v3")`` accepts."""

# Named keywords of the local v3 API that a remote v3 run cannot honour.
_REFUSED = ("control", "transformers", "interrupt_before", "interrupt_after")


def reject_unsupported(
    *,
    control: Any,
    transformers: Any,
    interrupt_before: Any,
    interrupt_after: Any,
    extra_kwargs: dict[str, Any],
) -> None:
    """Refuse the arguments a v3 remote run has no way to send.

    Raises:
        NotImplementedError: One of the refused keywords is set, or an extra
            keyword other than ``metadata``/``headers`` was given.
    """
    given = (control, transformers, interrupt_before, interrupt_after)
    for name, value in zip(_REFUSED, given, strict=True):
        if value:
            raise NotImplementedError(
                f"RemoteGraph.stream_events(version='v3') does not support `{name}=`."
            )
    if unknown := set(extra_kwargs) - V3_SUPPORTED_KWARGS:
        raise NotImplementedError(
            "RemoteGraph.stream_events(version='v3') does not support the "
            f"following kwargs: {sorted(unknown)!r}. "
            f"Supported: {sorted(V3_SUPPORTED_KWARGS)!r}."
        )


def _thread_args(
    graph: RemoteGraph, config: Any, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``threads.stream`` arguments, sanitized config) after checking ``kwargs``."""
    # The facade's name is looked up per call so it can be patched in tests,
    # as LangGraph's ``remote._merge_tracing_headers`` can.
    from stategraph.pregel import remote as facade

    reject_unsupported(
        control=kwargs.pop("control", None),
        transformers=kwargs.pop("transformers", None),
        interrupt_before=kwargs.pop("interrupt_before", None),
        interrupt_after=kwargs.pop("interrupt_after", None),
        extra_kwargs=kwargs,
    )
    headers = kwargs.get("headers")
    if graph.distributed_tracing:
        headers = vars(facade)["_merge_tracing_headers"](headers)
    sanitized = core.sanitize_config(core.copy_config(graph.config, config, {}))
    thread_id = sanitized.get("configurable", {}).pop("thread_id", None)
    args = {"thread_id": thread_id, "assistant_id": graph.assistant_id}
    return {**args, "headers": headers}, sanitized


def _watch_after_start(sdk_thread: Any) -> Any:
    """``sdk_thread``, made to watch the run's lifecycle only once it started.

    Given a thread id, the SDK watches the thread's lifecycle from the moment
    the stream is entered, before ``run.start`` is sent: a server that
    answers that watcher first replays the thread's previous run, whose
    ``completed`` then ends ``output`` with the previous run's state. A
    stream that does not name its thread starts the watcher after
    ``run.start`` instead, so the watcher reads this run; the handle always
    starts its run on entering, so it takes that path.
    """
    if hasattr(sdk_thread, "_explicit_thread_id"):
        sdk_thread._explicit_thread_id = False
    return sdk_thread


def open_sync(
    graph: RemoteGraph, input: Any, config: Any, version: str, kwargs: dict[str, Any]
) -> _RemoteGraphRunStream:
    """The sync v3 run handle (not yet started: enter it with ``with``).

    Raises:
        NotImplementedError: ``version`` is not ``"v3"`` (use ``stream``), or
            an unsupported keyword was given.
    """
    if version != "v3":
        raise NotImplementedError(
            f"RemoteGraph.stream_events(version={version!r}) is not implemented "
            "in stategraph; use version='v3' or RemoteGraph.stream() instead."
        )
    client = graph._sync()
    args, sanitized = _thread_args(graph, config, kwargs)
    return _RemoteGraphRunStream(
        sync_client=client,
        sdk_thread=_watch_after_start(client.threads.stream(**args)),
        input=input,
        config=sanitized,
        metadata=kwargs.get("metadata"),
    )


def open_async(
    graph: RemoteGraph, input: Any, config: Any, version: str, kwargs: dict[str, Any]
) -> _AsyncRemoteGraphRunStream:
    """The async v3 run handle (not yet started: enter it with ``async with``).

    Raises:
        NotImplementedError: ``version`` is not ``"v3"`` (use ``astream``), or
            an unsupported keyword was given.
    """
    if version != "v3":
        raise NotImplementedError(
            f"RemoteGraph.astream_events(version={version!r}) is not implemented; "
            "use astream() for v1/v2 streaming or version='v3'."
        )
    client = graph._async()
    args, sanitized = _thread_args(graph, config, kwargs)
    return _AsyncRemoteGraphRunStream(
        client=client,
        sdk_thread=_watch_after_start(client.threads.stream(**args)),
        input=input,
        config=sanitized,
        metadata=kwargs.get("metadata"),
    )
