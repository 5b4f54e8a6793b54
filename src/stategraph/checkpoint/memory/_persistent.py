"""``PersistentDict``: a dict kept in memory and written to a file on sync/close.

Same API as LangGraph's (used as ``InMemorySaver(factory=...)``), but the file
format is msgpack, never pickle: loading cannot run code.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from typing import Any

import ormsgpack


def _encode(value: Any) -> Any:
    # Keys of the saver's dicts are tuples, which msgpack cannot use as map
    # keys: store every mapping as a list of [key, value] pairs.
    if isinstance(value, dict):
        return {"__pairs__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__pairs__" in value:
            return {_decode(k): _decode(v) for k, v in value["__pairs__"]}
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class PersistentDict(defaultdict):  # type: ignore[type-arg]  # any key/value
    """A ``defaultdict`` that saves itself to ``filename`` on ``sync``/``close``.

    Args:
        *args: ``defaultdict`` arguments (the default factory first).
        filename: File the dict is written to (atomically, via a temp file).
        **kwds: Initial items.
    """

    def __init__(self, *args: Any, filename: str, **kwds: Any) -> None:
        self.flag = "c"
        self.mode: int | None = None
        self.format = "msgpack"
        self.filename = filename
        super().__init__(*args, **kwds)

    def sync(self) -> None:
        """Write the dict to disk (no-op when opened read-only)."""
        if self.flag == "r":
            return
        tempname = self.filename + ".tmp"
        try:
            with open(tempname, "wb") as fileobj:
                self.dump(fileobj)
        except Exception:
            if os.path.exists(tempname):
                os.remove(tempname)
            raise
        shutil.move(tempname, self.filename)
        if self.mode is not None:
            os.chmod(self.filename, self.mode)

    def close(self) -> None:
        """Write the dict to disk and empty it."""
        self.sync()
        self.clear()

    def __enter__(self) -> PersistentDict:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def dump(self, fileobj: Any) -> None:
        """Serialize the contents to ``fileobj`` (msgpack)."""
        fileobj.write(ormsgpack.packb(_encode(dict(self))))

    def load(self) -> None:
        """Read the contents back from ``filename`` (empty files load nothing)."""
        if self.flag == "n" or not os.path.exists(self.filename):
            return
        with open(self.filename, "rb") as fileobj:
            data = fileobj.read()
        if not data:
            return
        loaded = _decode(ormsgpack.unpackb(data))
        if not isinstance(loaded, dict):
            raise ValueError(f"File {self.filename!r} does not hold a saved dict")
        self.update(loaded)
