"""When a failed save surfaces: LangGraph's background-save timing.

LangGraph hands saves to a background executor. With ``durability="sync"``
it waits for each step's checkpoint right after the step, so a failed save
raises there, before the step's chunks are handed out. Otherwise (``async``,
and ``exit``'s final save) nothing waits: the run goes on (its writes are
still saved, but no checkpoint after the failed one), and the first failure
is raised when the run's loop exits, in place of a normal end (or of the
``GraphRecursionError`` raised after it) but not of an error already
propagating. The chunks made after the last step's tasks ended are then
lost with it.

The drivers reproduce this by running a loop's saves through ``guard``: a
failed save is kept on the loop (``loop.save_error``) and swallowed unless
durability is ``sync``; once one is kept ``_drive`` holds chunks back, and
raises it when the loop ends without an error of its own.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from stategraph._engine._effects import takes_task_path
from stategraph.errors import GraphBubbleUp

__all__ = ["failed", "guard"]

_SAVES = frozenset(
    {
        "put",
        "put_writes",
        "put_step",
        "put_changes",
        "aput",
        "aput_writes",
        "aput_step",
    }
)


def guard(loop: Any, saver: Any) -> Any:
    """``saver`` with its saving methods reporting failures to ``loop``."""
    loop.save_error = None
    loop.checkpoint_failed = False
    if saver is None:
        return None
    return _Guarded(saver, loop)


def failed(loop: Any) -> bool:
    """Whether a save of this run failed (its later chunks are held back)."""
    return getattr(loop, "save_error", None) is not None


class _Guarded:
    """Forwards to a saver; its ``put*`` methods keep their failure on the loop."""

    def __init__(self, saver: Any, loop: Any) -> None:
        self._saver = saver
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._saver, name)
        if name not in _SAVES:
            return attr
        checkpoint = name.lstrip("a") != "put_writes"
        make = _guarded_async if name.startswith("a") else _FIXED.get(name, _guarded)
        wrapped: Any = make(attr, self._loop, checkpoint)
        # The effect's argument check reads the real method's signature
        # (``__wrapped__``) and caches it by the real function (``__func__``).
        wrapped.__wrapped__ = attr
        wrapped.__func__ = getattr(attr, "__func__", attr)
        setattr(self, name, wrapped)  # made once per run
        return wrapped


def _guarded(
    method: Callable[..., Any], loop: Any, checkpoint: bool
) -> Callable[..., Any]:
    """``method`` keeping its failure on ``loop``.

    LangGraph (1.2.24) puts each checkpoint after the previous one succeeded:
    once one failed, no later checkpoint of the run is put (writes still are).
    """

    def save(*args: Any, **kwargs: Any) -> Any:
        if checkpoint and loop.checkpoint_failed:
            return None
        try:
            return method(*args, **kwargs)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            return _keep(loop, exc, checkpoint)

    return save


def _guarded_changes(
    method: Callable[..., Any], loop: Any, checkpoint: bool
) -> Callable[..., Any]:
    """``_guarded`` for ``put_changes``, called once per step of a run.

    Its fixed arguments are passed on as they are: packing them into
    ``*args`` and an empty ``**kwargs`` costs more than the call itself.
    """

    def save(
        config: Any, checkpoint: Any, metadata: Any, new_versions: Any, since: Any
    ) -> Any:
        if loop.checkpoint_failed:
            return None
        try:
            return method(config, checkpoint, metadata, new_versions, since)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            return _keep(loop, exc, True)

    return save


_NO_PATH: Any = object()


def _guarded_writes(
    method: Callable[..., Any], loop: Any, checkpoint: bool
) -> Callable[..., Any]:
    """``_guarded`` for ``put_writes`` (once per task), arguments passed as given."""
    if takes_task_path(method):
        # Always called with the path (``SaveWrites.args``, ``writes_caller``).
        def save_with_path(config: Any, writes: Any, task_id: Any, path: Any) -> Any:
            try:
                return method(config, writes, task_id, path)
            except GraphBubbleUp:
                raise
            except Exception as exc:
                return _keep(loop, exc, False)

        return save_with_path

    def save(config: Any, writes: Any, task_id: Any, task_path: Any = _NO_PATH) -> Any:
        try:
            if task_path is _NO_PATH:  # a saver whose ``put_writes`` takes none
                return method(config, writes, task_id)
            return method(config, writes, task_id, task_path)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            return _keep(loop, exc, False)

    return save


# Sync saving methods called on every step or task, with fixed arguments.
_FIXED = {"put_changes": _guarded_changes, "put_writes": _guarded_writes}


def _guarded_async(
    method: Callable[..., Any], loop: Any, checkpoint: bool
) -> Callable[..., Any]:
    """``_guarded`` for an async saver method (its failure surfaces when awaited)."""

    def save(*args: Any, **kwargs: Any) -> Any:
        if checkpoint and loop.checkpoint_failed:
            return _nothing()
        try:
            out = method(*args, **kwargs)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            _keep(loop, exc, checkpoint)
            return _nothing()
        return _settle(out, loop, checkpoint) if inspect.isawaitable(out) else out

    return save


async def _settle(pending: Awaitable[Any], loop: Any, checkpoint: bool) -> Any:
    try:
        return await pending
    except GraphBubbleUp:
        raise
    except Exception as exc:
        return _keep(loop, exc, checkpoint)


async def _nothing() -> None:
    return None


def _keep(loop: Any, exc: Exception, checkpoint: bool) -> None:
    if loop.save_error is None:
        loop.save_error = exc
    loop.checkpoint_failed = loop.checkpoint_failed or checkpoint
    if loop.durability == "sync":
        raise exc
