"""Stored checkpoint headers: kept as copied dicts, not serialized bytes.

Owns the format of ``storage`` entries' first element; must not import the saver.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from stategraph._constants import (
    CONFIG_KEY_CACHE,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_DURABILITY,
    CONFIG_KEY_READ,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_TASK_ID,
)
from stategraph.checkpoint.base._records import (
    EXCLUDED_METADATA_KEYS,
    get_checkpoint_metadata,
)

_HEADER = "__header__"


def freeze_header(checkpoint: Any) -> Any:
    """Keep a checkpoint's header (all but values) without serializing it.

    Versions are immutable strings and the engine never changes a
    ``versions_seen`` entry in place (it replaces it), so copying the outer
    dicts isolates the stored header in time that does not grow with history;
    serializing it would cost time proportional to the number of channels on
    every step.
    """
    header = dict(checkpoint)
    header.pop("channel_values", None)
    header["channel_versions"] = dict(checkpoint["channel_versions"])
    header["versions_seen"] = dict(checkpoint["versions_seen"])
    return (_HEADER, header)


def thaw_header(stored: Any, loads: Any) -> Any:
    """A fresh, caller-owned copy of a stored header (or a serialized one)."""
    kind = stored[0]
    if kind == _DELTA:
        return _rebuild(stored)
    if kind != _HEADER:
        return loads(stored)
    header = dict(stored[1])
    header["channel_versions"] = dict(header["channel_versions"])
    header["versions_seen"] = {k: dict(v) for k, v in header["versions_seen"].items()}
    if header.get("updated_channels") is not None:
        header["updated_channels"] = list(header["updated_channels"])
    return header


# A header kept as the changes since an earlier stored header (its ``base``):
# (_DELTA, base, ts, id, updated_channels, changed channel_versions, changed
# versions_seen, weight, len(channel_versions), len(versions_seen)). Only the
# engine's own records (``v`` 4, the usual seven keys) are kept so: the rest
# of the header is rebuilt from the three fields.
_DELTA = "__header_delta__"
_BASE, _TS, _ID, _UPDATED, _VERSIONS, _SEEN, _WEIGHT, _NV, _NS = range(1, 10)
_RECORD_KEYS = 7  # v, ts, id, channel_values, both version maps, updated_channels


def freeze_delta(
    base: Any,
    versions: Any,
    seen: Any,
    new_versions: Any,
    seen_names: Any,
    head: tuple[str, str, Any],
) -> Any:
    """A header (``head``: ts, id, updated_channels) kept as its changes since ``base``.

    ``base`` is the stored header of an earlier checkpoint whose version maps
    were these same dicts (``versions``, ``seen``), and which changed since
    only in ``new_versions`` and in the ``versions_seen`` entries named by
    ``seen_names``, entries only being added or replaced: so a step stores
    what it changed, not every channel. A chain of changes is cut (``None``:
    store the header whole) once it holds about half the entries of a whole
    header: reading one back costs at most about twice a copy.
    ``new_versions`` is kept, not copied: the engine hands over a dict it
    never uses again.
    """
    kind = base[0]
    if kind is _DELTA:
        weight, base_nv, base_ns = base[_WEIGHT], base[_NV], base[_NS]
    elif kind is _HEADER:
        weight = 0
        base_nv = len(base[1]["channel_versions"])
        base_ns = len(base[1]["versions_seen"])
    else:
        return None
    nv, ns = len(versions), len(seen)
    weight += len(new_versions) + len(seen_names) + 1
    if weight > 16 + ((nv + ns) >> 1) or nv < base_nv or ns < base_ns:
        return None
    changed = new_versions
    changed_seen = {}
    try:
        for name in seen_names:  # no comprehension: it makes a function object
            changed_seen[name] = seen[name]
        # A step usually adds one entry to each map (the next node's trigger
        # and the node that ran): checked here, as ``_order_added`` would.
        added = nv - base_nv
        if added == 1:
            if next(reversed(versions)) not in changed:
                return None
        elif added:
            changed = dict(changed)  # reordered below: the engine's stays
            _order_added(changed, versions, added)
        added = ns - base_ns
        if added == 1:
            if next(reversed(seen)) not in changed_seen:
                return None
        elif added:
            _order_added(changed_seen, seen, added)
    except KeyError:  # not the changes of these dicts: keep them whole
        return None
    return (_DELTA, base, *head, changed, changed_seen, weight, nv, ns)


def delta_of(checkpoint: Any, base: Any, new_versions: Any, seen_names: Any) -> Any:
    """``freeze_delta`` of a checkpoint record (``None``: of another shape)."""
    if len(checkpoint) != _RECORD_KEYS or checkpoint["v"] != 4:
        return None
    head = (checkpoint["ts"], checkpoint["id"], checkpoint["updated_channels"])
    versions, seen = checkpoint["channel_versions"], checkpoint["versions_seen"]
    return freeze_delta(base, versions, seen, new_versions, seen_names, head)


def _order_added(changes: dict[str, Any], current: Any, added: int) -> None:
    # Entries added since the base are the dict's last ``added`` keys; they
    # must be among the changes (KeyError otherwise), replayed in the order
    # they were added for the rebuilt dict to list keys in the same order.
    if added == 1:
        key = next(reversed(current))
        if key not in changes:
            raise KeyError(key)
        return  # appended wherever it is
    for key in reversed(list(islice(reversed(current), added))):
        del changes[key]
        changes[key] = current[key]


def check_delta(stored: Any, checkpoint: Any) -> None:
    """Raise ``AssertionError`` unless ``stored`` reads back as ``checkpoint``'s header.

    Order included: listing the maps must give the same keys in the same order.
    """
    kept = thaw_header(stored, None)
    for key in ("channel_versions", "versions_seen"):
        if list(kept[key].items()) != list(checkpoint[key].items()):
            raise AssertionError(f"header kept as changes differs in {key}")


def _rebuild(stored: Any) -> Any:
    chain = []
    while stored[0] == _DELTA:
        chain.append(stored)
        stored = stored[_BASE]
    whole = stored[1]
    versions = dict(whole["channel_versions"])
    seen = dict(whole["versions_seen"])
    for link in reversed(chain):
        versions.update(link[_VERSIONS])
        seen.update(link[_SEEN])
    last = chain[0]
    updated = last[_UPDATED]
    return {
        "v": 4,
        "ts": last[_TS],
        "id": last[_ID],
        "channel_versions": versions,
        "versions_seen": {k: dict(v) for k, v in seen.items()},
        "updated_channels": None if updated is None else list(updated),
    }


_METADATA = "__metadata__"


_SCALARS = (str, int, float, bool, type(None))


def freeze_metadata(metadata: Any, dumps: Any) -> Any:
    """Keep checkpoint metadata as a copied dict when it holds only scalars.

    The engine's metadata (source, step, parents, run id) always does; anything
    else (lists, objects) is serialized so later changes cannot reach it.
    """
    for value in metadata.values():
        if isinstance(value, dict):
            if not all(isinstance(v, _SCALARS) for v in value.values()):
                return dumps(metadata)
        elif not isinstance(value, _SCALARS):
            return dumps(metadata)
    return (
        _METADATA,
        {k: dict(v) if isinstance(v, dict) else v for k, v in metadata.items()},
    )


_SCALAR_TYPES = frozenset(_SCALARS)


def stored_metadata(config: Any, metadata: Any, dumps: Any) -> Any:
    """``freeze_metadata(get_checkpoint_metadata(config, metadata), dumps)``, fast.

    One pass for the usual case, the engine's scalar metadata, as this runs
    on every step; anything unusual (subclasses, nested values) takes the
    general path, so the stored result is the same either way.
    """
    out: dict[str, Any] | None = None
    if type(metadata) is dict and tuple(metadata) == _ENGINE_KEYS:
        # A step's own metadata: checked field by field, no loop.
        origin, step, parents = metadata.values()
        if (
            type(origin) is str
            and "\x00" not in origin
            and type(step) is int
            and type(parents) is dict
            and (not parents or set(map(type, parents.values())) <= _SCALAR_TYPES)
        ):
            # The root graph's parents are empty: share one empty dict, as
            # reading metadata back copies it (``thaw_metadata``).
            kept = dict(parents) if parents else _NO_PARENTS
            out = {"source": origin, "step": step, "parents": kept}
    if out is None:
        out = _scalar_metadata(metadata)
        if out is None:
            return _general_metadata(config, metadata, dumps)
    source = config.get("metadata")
    if source and not source.keys() <= _NEVER_COPIED:
        _copy_config(out, source)
    source = config.get("configurable")
    if source and not source.keys() <= _NEVER_COPIED:
        _copy_config(out, source)
    return (_METADATA, out)


# Config keys never copied into metadata that an engine's config holds on
# every step (its own keys start with "__"): a section holding no others
# adds nothing, which a set comparison tells at once.
_NEVER_COPIED = EXCLUDED_METADATA_KEYS | {
    CONFIG_KEY_DURABILITY,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_CACHE,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_TASK_ID,
    CONFIG_KEY_SEND,
    CONFIG_KEY_READ,
}


def _copy_config(out: dict[str, Any], source: Any) -> None:
    """Add the keys ``get_checkpoint_metadata`` copies from a config section."""
    keys = tuple(source)
    copied = _COPIED.get(keys)
    if copied is None:
        copied = _copied_keys(keys)
    for key in copied:
        if key in out:
            continue
        value = source[key]
        if isinstance(value, str):
            out[key] = value.replace("\x00", "") if "\x00" in value else value
        elif isinstance(value, (int, float, bool)):
            out[key] = value


_NO_PARENTS: dict[str, Any] = {}  # never changed: see ``stored_metadata``

# The keys of the metadata the engine makes for a step, in order.
_ENGINE_KEYS = ("source", "step", "parents")


def _scalar_metadata(metadata: Any) -> dict[str, Any] | None:
    """A copy of metadata holding scalars and dicts of them (``None``: not so)."""
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        kind = type(value)
        if kind is str:
            if "\x00" in value:
                value = value.replace("\x00", "")
        elif kind is dict:
            for inner in value.values():
                if type(inner) not in _SCALAR_TYPES:
                    return None
            value = dict(value)
        elif kind not in _SCALAR_TYPES:
            return None
        out[key] = value
    return out


# The keys a config section may copy into metadata, by the section's keys in
# order: the engine's config has the same keys at every step of a run, and
# most are excluded or internal, so only those left are looked at.
_COPIED: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _copied_keys(keys: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(_COPIED) >= 512:
        _COPIED.clear()  # configs with ever-new keys: stay bounded
    copied = tuple(k for k in keys if k not in EXCLUDED_METADATA_KEYS and k[:2] != "__")
    _COPIED[keys] = copied
    return copied


def _general_metadata(config: Any, metadata: Any, dumps: Any) -> Any:
    return freeze_metadata(get_checkpoint_metadata(config, metadata), dumps)


def thaw_metadata(stored: Any, loads: Any) -> Any:
    """A fresh, caller-owned copy of stored metadata (or a serialized one)."""
    if stored[0] != _METADATA:
        return loads(stored)
    return {k: dict(v) if isinstance(v, dict) else v for k, v in stored[1].items()}


SCALAR = "__scalar__"
# The row ``value_codec``'s dumps makes of ``None`` (default serializer only).
NONE_ROW: Any = (SCALAR, None)  # stored like a serialized row
# The integers it keeps as they are, ``range(*INT_RANGE)``: msgpack's own.
INT_RANGE = (-(2**63), 2**64)


def value_codec(serde: Any) -> tuple[Any, Any]:
    """``(dumps, loads)`` for stored values; immutable scalars skip serialization.

    Only with the default serializer: a custom one (encryption, say) sees
    every value, as its users expect.
    """
    from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    dumps, loads = serde.dumps_typed, serde.loads_typed
    if type(serde) is not JsonPlusSerializer:
        return dumps, loads

    low, end = INT_RANGE

    def fast_dumps(value: Any) -> Any:
        kind = type(value)
        # Non-ASCII strings go through the serializer, which rewrites lone
        # surrogates; keeping them would make this saver differ from the rest.
        if (
            value is None
            or kind is bool
            or kind is float
            or (kind is int and low <= value < end)
            or (kind is str and value.isascii())
        ):
            return (SCALAR, value)
        return dumps(value)

    def fast_loads(stored: Any) -> Any:
        if stored[0] == SCALAR:
            return stored[1]
        return loads(stored)

    return fast_dumps, fast_loads
