"""State shared by the sync and async run streams: output, interrupts, lookup.

Owns what a run stream tracks from the events it pumps; it must not pump.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn

from stategraph.stream._types import ProtocolEvent

if TYPE_CHECKING:
    from stategraph.stream._channel import StreamChannel
    from stategraph.stream._mux import StreamMux


class _RunStreamBase:
    """Tracks the run's latest values and interrupts at its own scope."""

    def _setup(self, mux: StreamMux) -> None:
        self._mux = mux
        self.extensions: Mapping[str, Any] = MappingProxyType(mux.extensions)
        self._exhausted = False
        self._latest: dict[str, Any] | None = None
        self._interrupted = False
        self._interrupts: list[Any] = []
        self._scope_list: list[str] = list(mux.scope)
        for key in mux.native_keys:
            setattr(self, key, mux.extensions[key])

    def __getattr__(self, name: str) -> StreamChannel[Any]:
        """Reached only for names no native transformer registered."""
        _raise_missing_projection(self, name)

    def _observe_event(self, event: ProtocolEvent) -> None:
        """Record a ``values`` event of this run's own namespace."""
        if event["method"] != "values":
            return
        params = event["params"]
        if params["namespace"] != self._scope_list:
            return
        self._latest = params["data"]
        interrupts = params.get("interrupts", ())
        if interrupts:
            self._interrupted = True
            self._interrupts.extend(interrupts)

    def _raise_if_failed(self) -> None:
        if (err := self._mux._events._error) is not None:
            raise err


def _raise_missing_projection(run: object, name: str) -> NoReturn:
    # Read the mux from __dict__: during __init__ it may not exist yet, and
    # attribute access would come back here and recurse.
    mux = run.__dict__.get("_mux")
    registered = sorted(mux.native_keys) if mux is not None else []
    raise AttributeError(
        f"{type(run).__name__!r} object has no attribute {name!r} "
        f"(registered projections: {', '.join(registered) or 'none'})"
    )
