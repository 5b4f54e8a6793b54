"""The optional "one transaction per superstep" capability of checkpoint savers.

A saver that can store a checkpoint together with pending writes atomically
defines ``put_step(config, checkpoint, metadata, new_versions, writes,
durable=True)`` (and ``aput_step``); the engine then hands it the writes of
the task that finished a step along with the checkpoint of that step, instead
of calling ``put_writes`` and then ``put``. One that can also commit without
waiting for the disk defines ``flush_steps(config)`` (and ``aflush_steps``):
with async durability the engine passes ``durable=False`` and calls it once,
before the run returns. This module only names the record passed and decides
which savers qualify; it does no I/O.

It also decides the engine's other shortcuts past a saver's public methods:
computing versions itself (``padded_versions``) and handing a checkpoint over
as its changes since the last one (``header_deltas``, ``put_changes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from stategraph._config import RunnableConfig

_SYNC_METHODS = ("put_step", "put", "put_writes")
_ASYNC_METHODS = ("aput_step", "aput", "aput_writes")
_CAPABLE: dict[tuple[type, bool], bool] = {}


class StepWrites(NamedTuple):
    """Writes of one task, handed to ``put_step`` with a step's checkpoint.

    The fields are the arguments ``put_writes`` would have received.

    Attributes:
        config: Config of the checkpoint the task ran from (its
            ``checkpoint_id`` is the one the writes are stored against).
        writes: ``(channel, value)`` pairs.
        task_id: Id of the task that wrote.
        task_path: Path of that task, for ordering.
    """

    config: RunnableConfig
    writes: Sequence[tuple[str, Any]]
    task_id: str
    task_path: str = ""


def saves_steps(saver: object, *, asynchronous: bool) -> bool:
    """Whether the engine may call ``put_step`` (or ``aput_step``) on this saver.

    A saver qualifies when its class defines ``put_step`` at least as far down
    its hierarchy as ``put`` and ``put_writes`` (``aput_step``, ``aput`` and
    ``aput_writes`` for async runs). A subclass that overrides ``put`` or
    ``put_writes`` of a capable saver, to observe or change them, therefore
    keeps receiving every call in LangGraph's sequence; so does a saver
    whose ``put`` or ``put_writes`` was replaced on the instance alone.

    Args:
        saver: The saver, or its class.
        asynchronous: Whether the run calls the saver's async methods.
    """
    names = _ASYNC_METHODS if asynchronous else _SYNC_METHODS
    if not isinstance(saver, type):
        own = getattr(saver, "__dict__", {})
        if names[0] not in own and any(name in own for name in names[1:]):
            return False
        saver = type(saver)
    return _class_saves_steps(saver, names)


def _class_saves_steps(saver_type: type, names: tuple[str, ...]) -> bool:
    key = (saver_type, names[0] == _ASYNC_METHODS[0])
    known = _CAPABLE.get(key)
    if known is not None:
        return known
    mro = saver_type.__mro__
    depth = [
        next((i for i, k in enumerate(mro) if name in vars(k)), len(mro))
        for name in names
    ]
    capable = depth[0] < len(mro) and depth[0] <= min(depth[1:])
    _CAPABLE[key] = capable
    return capable


_FAST_VERSIONS: dict[type, bool] = {}


def padded_fast_path(saver_type: type) -> bool:
    """Whether versions of ``saver_type`` may be computed without calling it.

    Only savers declaring ``padded_versions`` qualify, and only while no
    subclass overrides their ``get_next_version``: a saver that customises it
    must see every call (and any error it raises), as in LangGraph.
    """
    known = _FAST_VERSIONS.get(saver_type)
    if known is not None:
        return known
    mro = saver_type.__mro__
    declares = next((i for i, k in enumerate(mro) if "padded_versions" in vars(k)), -1)
    defines = next(
        (i for i, k in enumerate(mro) if "get_next_version" in vars(k)), len(mro)
    )
    fast = declares >= 0 and bool(getattr(saver_type, "padded_versions", False))
    fast = fast and defines >= declares
    _FAST_VERSIONS[saver_type] = fast
    return fast


_DELTAS: dict[type, bool] = {}


def takes_header_deltas(saver: Any) -> bool:
    """Whether the engine may call ``saver.put_changes`` instead of ``put``/``aput``.

    Only savers declaring ``header_deltas`` qualify, and only while no
    subclass (or the instance) overrides ``put`` or ``aput`` (an ``aput``
    may call ``put``): such a saver sees every call, as in LangGraph.
    """
    own = getattr(saver, "__dict__", {})
    if "put" in own or "aput" in own or "put_changes" in own:
        return False
    kind = type(saver)
    known = _DELTAS.get(kind)
    if known is None:
        mro = kind.__mro__
        declares = next((i for i, k in enumerate(mro) if "put_changes" in vars(k)), -1)
        known = declares >= 0 and bool(getattr(kind, "header_deltas", False))
        for name in ("put", "aput"):
            defines = next((i for i, k in enumerate(mro) if name in vars(k)), len(mro))
            known = known and defines >= declares
        _DELTAS[kind] = known
    return known
