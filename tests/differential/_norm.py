"""Turn library objects into plain, comparable data.

Two libraries can only be compared through what users observe, so every value
is rewritten into builtins: library classes become ``{"__type__": name, ...}``
dicts (compared by class *name*, since ``langgraph.types.Interrupt`` and
``stategraph.types.Interrupt`` are different classes), exceptions become their
class name, message and notes, and the values that legitimately differ between
two runs -- checkpoint ids, task ids, interrupt ids, timestamps, run ids -- are
replaced with placeholders numbered by first appearance (``<id:3>``), so that
equal structure still compares equal while "the same id seen twice" is kept.
Dict order is kept and compared (it is observable); the one order that is not
compared is that of several ``Interrupt``s in one sequence (see
``_interrupts_sorted``).
"""

from __future__ import annotations

import dataclasses
import enum
import pprint
import re
from collections.abc import Mapping
from typing import Any

# uuid-shaped strings: checkpoint ids (uuid6), task ids (xxh3 formatted as uuid),
# run ids; 32 hex chars: interrupt ids.
_ID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"
)
_TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")
_ADDR_RE = re.compile(r" at 0x[0-9a-f]+")


class Normalizer:
    """Rewrite values into plain data with stable id placeholders.

    One instance is used for a whole trace of one library, so an id that shows
    up in a stream chunk and again in the state history gets the same
    placeholder in both places.

    Thread ids are chosen by the tests and are equal on both sides, so they are
    kept verbatim.

    Args:
        erase_ids: map every id to the same ``<id>`` (for order-free sort keys).
    """

    def __init__(self, *, erase_ids: bool = False) -> None:
        self._ids: dict[str, str] = {}
        self._erase = erase_ids

    def _items(self, seq: Any) -> list[Any]:
        items, tied = _interrupts_sorted(seq)
        if not tied:
            return [self(x) for x in items]
        erase = Normalizer(erase_ids=True)
        return [erase(x) if i in tied else self(x) for i, x in enumerate(items)]

    def ident(self, raw: str) -> str:
        """Placeholder for one id string, numbered by first appearance."""
        if self._erase:
            return "<id>"
        ph = self._ids.get(raw)
        if ph is None:
            ph = self._ids[raw] = f"<id:{len(self._ids) + 1}>"
        return ph

    def text(self, s: str) -> str:
        """Replace ids, timestamps and object addresses inside a string."""
        if len(s) < 19:
            return s
        s = _ID_RE.sub(lambda m: self.ident(m.group(0)), s)
        s = _TS_RE.sub("<ts>", s)
        return _ADDR_RE.sub(" at <addr>", s)

    def __call__(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float)):
            return v
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, bytes):
            return {"__bytes__": v.hex()}
        if isinstance(v, BaseException):
            return self.exc(v)
        if isinstance(v, enum.Enum):
            return {"__enum__": type(v).__name__, "value": self(v.value)}
        if _is_plain_mapping(v):
            return {self._key(k): self(x) for k, x in v.items()}
        if isinstance(v, tuple) and hasattr(v, "_fields"):  # NamedTuple
            out: dict[str, Any] = {"__type__": type(v).__name__}
            out.update({f: self(getattr(v, f)) for f in v._fields})
            return out
        if isinstance(v, tuple):
            return tuple(self._items(v))
        if isinstance(v, list):
            return self._items(v)
        if isinstance(v, (set, frozenset)):
            return {"__set__": sorted(repr(self(x)) for x in v)}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            out = {"__type__": type(v).__name__}
            out.update(
                {f.name: self(getattr(v, f.name)) for f in dataclasses.fields(v)}
            )
            return out
        model_fields = getattr(type(v), "model_fields", None)
        if isinstance(model_fields, dict):  # pydantic v2 model
            out = {"__type__": type(v).__name__}
            out.update({f: self(getattr(v, f, None)) for f in model_fields})
            return out
        if type(v).__name__ == "Send":
            return {"__type__": "Send", "node": v.node, "arg": self(v.arg)}
        if isinstance(v, Mapping):
            return {self._key(k): self(x) for k, x in v.items()}
        if type(v).__name__.endswith("Saver"):
            # a checkpointer leaks into some snapshot configs (in LangGraph
            # too); its private storage layout is not behaviour
            return {"__type__": type(v).__name__}
        if hasattr(v, "__dict__") and not callable(v):
            fields = {k: x for k, x in vars(v).items() if not k.startswith("_")}
            out = {"__type__": type(v).__name__}
            out.update({k: self(x) for k, x in fields.items()})
            return out
        return {"__repr__": self.text(repr(v)), "__type__": type(v).__name__}

    def _key(self, k: Any) -> Any:
        if isinstance(k, str):
            return self.text(k)
        if isinstance(k, tuple):
            return repr(self(k))
        return k

    def exc(self, e: BaseException) -> dict[str, Any]:
        """An exception as class name, message, notes and builtin base."""
        builtin_base = next(
            (c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins"),
            "?",
        )
        out: dict[str, Any] = {
            "__exc__": type(e).__name__,
            "base": builtin_base,
            "str": self.text(str(e)),
        }
        notes = getattr(e, "__notes__", None)
        if notes:
            out["notes"] = [self.text(n) for n in notes]
        return out


def _interrupts_sorted(seq: Any) -> tuple[list[Any], set[int]]:
    """Several ``Interrupt``s sorted by value; other sequences unchanged.

    LangGraph combines the interrupts of parallel tasks inside a subgraph by
    popping futures from a ``set`` (``_runner._panic_or_proceed``), so their
    order is not deterministic; it is compared as a set.

    Returns:
        The items, and the positions of interrupts equal to a neighbour but
        for their id (two ``Send`` instances asking the same): which id comes
        first is racy, so those ids are shown erased (and not numbered).
    """
    if len(seq) < 2 or not all(_is_interrupt(x) for x in seq):
        return list(seq), set()
    erase = Normalizer(erase_ids=True)
    keyed = sorted(((render(erase(x)), x) for x in seq), key=lambda kx: kx[0])
    tied = {
        i
        for i in range(len(keyed))
        if (i > 0 and keyed[i - 1][0] == keyed[i][0])
        or (i + 1 < len(keyed) and keyed[i + 1][0] == keyed[i][0])
    }
    return [x for _, x in keyed], tied


_INTERRUPT_KEYS = frozenset(
    {"value", "id", "response_schema", "when", "resumable", "ns"}
)


def _is_interrupt(x: Any) -> bool:
    """An ``Interrupt``, or one as debug/checkpoint payloads show it (a dict)."""
    if type(x).__name__ == "Interrupt":
        return True
    return isinstance(x, dict) and {"value", "id"} <= x.keys() <= _INTERRUPT_KEYS


def _is_plain_mapping(v: Any) -> bool:
    return type(v).__name__ in ("dict", "OrderedDict", "defaultdict") and isinstance(
        v, Mapping
    )


def render(v: Any) -> str:
    """Stable text form of normalised data; dict order is kept (it is observable)."""
    return pprint.pformat(v, width=100, sort_dicts=False, compact=True)
