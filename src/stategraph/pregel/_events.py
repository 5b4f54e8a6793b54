"""LangChain's event protocols on graphs: ``astream_events`` v1/v2 and ``astream_log``.

Both are langchain-core's own implementations driven by the graph's
``astream``: the events come from the callbacks a run opens (graph and node
chain runs, chat models inside nodes). Version "v3" is the graph's own
transformer protocol (``stategraph.stream``), dispatched elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

_SYNC_UNSUPPORTED = (
    "stream_events(version={version!r}) is not supported on the sync path; use "
    "astream_events for 'v1'/'v2', or version='v3'."
)


class LangChainEvents:
    """Mixin giving ``Pregel`` LangChain's event-stream methods."""

    def _stream_events_langchain(
        self, input: Any, config: Any = None, *, version: str = "v2", **kwargs: Any
    ) -> Any:
        """Sync v1/v2 events do not exist in LangChain either.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(_SYNC_UNSUPPORTED.format(version=version))

    def _astream_events_langchain(
        self,
        input: Any,
        config: Any = None,
        *,
        version: str = "v2",
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """LangChain's ``astream_events`` (v1 or v2) for this graph."""
        from langchain_core.tracers.event_stream import (
            _astream_events_implementation_v1,
            _astream_events_implementation_v2,
        )

        filters = {
            "include_names": include_names,
            "include_types": include_types,
            "include_tags": include_tags,
            "exclude_names": exclude_names,
            "exclude_types": exclude_types,
            "exclude_tags": exclude_tags,
        }
        if version == "v2":
            impl = _astream_events_implementation_v2
        elif version == "v1":
            impl = _astream_events_implementation_v1
        else:
            raise NotImplementedError(
                'Only versions "v1", "v2" and "v3" of the schema are currently '
                "supported."
            )
        runnable: Any = self  # langchain needs only its astream / astream_log
        events: AsyncIterator[Any] = impl(runnable, input, config, **filters, **kwargs)
        return events

    async def astream_log(
        self, input: Any, config: Any = None, *, diff: bool = True, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """LangChain's ``astream_log``: the run as JSON-patch log operations."""
        from langchain_core.tracers.log_stream import (
            LogStreamCallbackHandler,
            _astream_log_implementation,
        )

        with_list = kwargs.pop("with_streamed_output_list", True)
        stream = LogStreamCallbackHandler(
            auto_close=False,
            include_names=kwargs.pop("include_names", None),
            include_types=kwargs.pop("include_types", None),
            include_tags=kwargs.pop("include_tags", None),
            exclude_names=kwargs.pop("exclude_names", None),
            exclude_types=kwargs.pop("exclude_types", None),
            exclude_tags=kwargs.pop("exclude_tags", None),
            _schema_format="original",
        )
        async for item in _astream_log_implementation(  # type: ignore[call-overload]  # needs only astream
            self,
            input,
            config,
            diff=diff,
            stream=stream,
            with_streamed_output_list=with_list,
            **kwargs,
        ):
            yield item
