"""``stream_events``/``astream_events`` on ``Pregel``: the v3 protocol entry.

A mixin, so that ``Pregel`` gains the methods without this code living in
``_pregel.py``. Version ``"v3"`` is served here on top of ``stream()``;
``"v1"``/``"v2"`` (langchain's callback event protocol) are forwarded to
``_stream_events_langchain``/``_astream_events_langchain`` when present.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_STREAM_MESSAGES_V2,
    NS_SEP,
)

if TYPE_CHECKING:
    from stategraph.stream._mux import StreamMux
    from stategraph.stream._run_async import AsyncGraphRunStream
    from stategraph.stream._run_sync import GraphRunStream

TransformerSpec = Callable[[tuple[str, ...]], Any]

# stream_mode is derived from the transformers and subgraphs is always on, so
# that nested namespaces reach their mini-muxes: v3 refuses both from callers.
_V3_INVARIANT_KWARGS = ("stream_mode", "subgraphs")


def _reject_v3_invariant_kwargs(kwargs: dict[str, Any]) -> None:
    """Raise ``TypeError`` if the caller passed a keyword v3 sets itself."""
    collisions = [k for k in _V3_INVARIANT_KWARGS if k in kwargs]
    if collisions:
        raise TypeError(
            "stream_events(version='v3') / astream_events(version='v3') do "
            f"not accept {', '.join(collisions)}; v3 owns these "
            "(stream_mode is built from the transformer mux, subgraphs is "
            "forced True so nested namespaces flow through scoped muxes)."
        )


def _collect_stream_modes(mux: StreamMux) -> list[str]:
    """The union of the registered transformers' ``required_stream_modes``."""
    modes: set[str] = set()
    for transformer in mux._transformers:
        modes.update(getattr(transformer, "required_stream_modes", ()))
    return list(modes)


def _normalize_stream_transformer_factories(
    specs: Sequence[TransformerSpec] | None,
) -> list[TransformerSpec]:
    """Check transformer specs are scope factories and wrap each one.

    Raises:
        TypeError: A spec is a pre-built transformer (it cannot be cloned
            into subgraph scopes) or is not callable.
    """
    from stategraph.stream._types import StreamTransformer

    factories: list[TransformerSpec] = []
    for spec in specs or ():
        if isinstance(spec, StreamTransformer):
            raise TypeError(
                "stream_events(version='v3') transformers must be scope-aware "
                f"callables, got pre-built instance {type(spec).__name__}. Pass "
                "the transformer class or a factory like "
                "`lambda scope: MyTransformer(scope, ...)`."
            )
        if not callable(spec):
            raise TypeError(
                "stream_events(version='v3') transformers must be scope-aware "
                f"callables, got {type(spec).__name__}."
            )
        factories.append(_scoped(spec))
    return factories


def _scoped(spec: TransformerSpec) -> TransformerSpec:
    def factory(scope: tuple[str, ...]) -> Any:
        return spec(scope)

    return factory


def _resolve_parent_ns(graph_config: Any, call_config: Any) -> tuple[str, ...]:
    """The checkpoint namespace the call runs under (``()`` at the root).

    A v3 run started inside a node projects the events of its own level,
    which carry the outer task's namespace.
    """
    from stategraph._config import ensure_config

    ns = (
        ensure_config(graph_config, call_config)
        .get(CONF, {})
        .get(CONFIG_KEY_CHECKPOINT_NS)
    )
    return tuple(ns.split(NS_SEP)) if ns else ()


class StreamEventsMixin:
    """Adds ``stream_events``/``astream_events`` and ``stream_transformers``."""

    stream_transformers: tuple[TransformerSpec, ...] = ()

    def __new__(
        cls,
        *args: Any,
        stream_transformers: Sequence[TransformerSpec] | None = None,
        **kwargs: Any,
    ) -> Any:
        # Taken here rather than in Pregel.__init__ (which accepts and drops
        # unknown keywords), so this feature stays out of _pregel.py.
        self = super().__new__(cls)
        self.stream_transformers = tuple(stream_transformers or ())
        return self

    def _v3_mux(self, config: Any, transformers: Any, *, is_async: bool) -> StreamMux:
        from stategraph.stream._lifecycle import LifecycleTransformer
        from stategraph.stream._messages import MessagesTransformer
        from stategraph.stream._mux import StreamMux
        from stategraph.stream._projections import ValuesTransformer
        from stategraph.stream._subgraphs import SubgraphTransformer

        graph = cast(Any, self)
        return StreamMux(
            factories=[
                ValuesTransformer,
                MessagesTransformer,
                LifecycleTransformer,
                SubgraphTransformer,
                *_normalize_stream_transformer_factories(self.stream_transformers),
                *_normalize_stream_transformer_factories(transformers),
            ],
            scope=_resolve_parent_ns(graph.config, config),
            is_async=is_async,
        )

    def _v3_stream_kwargs(
        self, mux: StreamMux, config: Any, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        from stategraph._config import patch_configurable

        if kwargs.get("control") is None:
            # Run control is optional; leave it out unless one was given.
            kwargs.pop("control", None)
        return {
            "config": patch_configurable(config, {CONFIG_KEY_STREAM_MESSAGES_V2: True}),
            "stream_mode": _collect_stream_modes(mux),
            "subgraphs": True,
            "version": "v2",
            **kwargs,
        }

    def _pregel_stream_v3(
        self,
        input: Any,
        config: Any = None,
        *,
        transformers: Sequence[TransformerSpec] | None = None,
        **kwargs: Any,
    ) -> GraphRunStream:
        """Start a sync v3 run; ``kwargs`` go to ``stream()``."""
        from stategraph.stream._run_sync import GraphRunStream

        mux = self._v3_mux(config, transformers, is_async=False)
        parts = cast(Any, self).stream(
            input, **self._v3_stream_kwargs(mux, config, kwargs)
        )
        return GraphRunStream(iter(parts), mux)

    async def _apregel_stream_v3(
        self,
        input: Any,
        config: Any = None,
        *,
        transformers: Sequence[TransformerSpec] | None = None,
        **kwargs: Any,
    ) -> AsyncGraphRunStream:
        """Start an async v3 run; ``kwargs`` go to ``astream()``."""
        from stategraph.stream._run_async import AsyncGraphRunStream

        mux = self._v3_mux(config, transformers, is_async=True)
        parts = cast(Any, self).astream(
            input, **self._v3_stream_kwargs(mux, config, kwargs)
        )
        return AsyncGraphRunStream(parts.__aiter__(), mux)

    @overload
    def stream_events(
        self,
        input: Any,
        config: Any = None,
        *,
        version: Literal["v3"],
        transformers: Sequence[TransformerSpec] | None = None,
        **kwargs: Any,
    ) -> GraphRunStream: ...

    @overload
    def stream_events(
        self,
        input: Any,
        config: Any = None,
        *,
        version: Literal["v1", "v2"] = "v2",
        **kwargs: Any,
    ) -> Iterator[Any]: ...

    def stream_events(
        self,
        input: Any,
        config: Any = None,
        *,
        version: str = "v2",
        transformers: Sequence[TransformerSpec] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Stream a run as events.

        With ``version="v3"``, return a ``GraphRunStream``: iterate it (or
        its projections ``values``, ``messages``, ``subgraphs``,
        ``lifecycle``...) to drive the run. ``"v1"``/``"v2"`` are langchain's
        callback event protocol.

        Args:
            input: The graph input, ``None`` to resume, or a ``Command``.
            config: Run config.
            version: ``"v1"``, ``"v2"`` or ``"v3"``.
            transformers: Extra transformer classes or ``scope -> transformer``
                factories (v3 only), after the compiled ones.
            **kwargs: Forwarded to ``stream()`` (``context``, ``durability``,
                ``interrupt_before``...); v3 rejects ``stream_mode`` and
                ``subgraphs``.

        Returns:
            A ``GraphRunStream`` for v3; the langchain event iterator otherwise.

        Raises:
            TypeError: v3 was given ``stream_mode``/``subgraphs`` or a
                pre-built transformer.
            NotImplementedError: v1/v2 without langchain event support.

        Example:
            ```python
            run = graph.stream_events({"x": 1}, version="v3")
            for snapshot in run.values:
                print(snapshot)
            ```
        """
        if version == "v3":
            _reject_v3_invariant_kwargs(kwargs)
            return self._pregel_stream_v3(
                input, config, transformers=transformers, **kwargs
            )
        delegate = getattr(self, "_stream_events_langchain", None)
        if delegate is None:
            raise NotImplementedError(_no_langchain_events(version))
        return delegate(input, config, version=version, **kwargs)

    @overload
    def astream_events(
        self,
        input: Any,
        config: Any = None,
        *,
        version: Literal["v3"],
        transformers: Sequence[TransformerSpec] | None = None,
        **kwargs: Any,
    ) -> Awaitable[AsyncGraphRunStream]: ...

    @overload
    def astream_events(
        self,
        input: Any,
        config: Any = None,
        *,
        version: Literal["v1", "v2"] = "v2",
        **kwargs: Any,
    ) -> AsyncIterator[Any]: ...

    def astream_events(
        self,
        input: Any,
        config: Any = None,
        *,
        version: str = "v2",
        transformers: Sequence[TransformerSpec] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Async ``stream_events``: for v3, an awaitable ``AsyncGraphRunStream``.

        See ``stream_events`` for the arguments.

        Example:
            ```python
            run = await graph.astream_events({"x": 1}, version="v3")
            print(await run.output())
            ```
        """
        if version == "v3":
            _reject_v3_invariant_kwargs(kwargs)
            return self._apregel_stream_v3(
                input, config, transformers=transformers, **kwargs
            )
        delegate = getattr(self, "_astream_events_langchain", None)
        if delegate is None:
            raise NotImplementedError(_no_langchain_events(version))
        return delegate(input, config, version=version, **kwargs)


def _no_langchain_events(version: str) -> str:
    return (
        f"stream_events(version={version!r}) (langchain's callback event "
        "protocol) is not available in this build; use version='v3', or "
        "stream(..., stream_mode=...) for raw chunks."
    )
