"""Our graphs count as LangChain ``Runnable``s, as LangGraph's do.

LangGraph's graphs subclass langchain-core's ``Runnable``, so LangChain code
checking ``isinstance(x, Runnable)`` (``prompt | graph``, ``RunnableSequence``,
``coerce_to_runnable``, ``RunnableParallel``...) takes them as they are. Ours
cannot subclass it: the core imports no LangChain module (import time).
``Runnable`` is an ABC, though, so our graph classes are registered as its
virtual subclasses as soon as it exists:

* at once if ``langchain_core.runnables.base`` is already imported;
* otherwise by a meta-path finder that watches for that one module, lets the
  regular finders load it and registers right after its code has run, then
  removes itself. Until then it costs one string comparison per import.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["register_as_runnable", "register_with"]

_MODULE = "langchain_core.runnables.base"
_classes: list[type[Any]] = []


def register_as_runnable(cls: type[Any]) -> None:
    """Make ``cls`` (and its subclasses) virtual subclasses of ``Runnable``.

    Args:
        cls: A class implementing LangChain's ``Runnable`` interface.
    """
    _classes.append(cls)
    runnable = getattr(sys.modules.get(_MODULE), "Runnable", None)
    if runnable is not None:
        runnable.register(cls)
    elif not any(isinstance(finder, _Watch) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Watch())


def register_with(runnable: Any) -> None:
    """Register the classes with LangChain's ``Runnable`` and stop watching.

    Idempotent; called when the watched module has loaded, and by code about
    to hand a graph to LangChain in case that load escaped the watch (it was
    under way when we were imported).
    """
    for cls in _classes:
        runnable.register(cls)
    for finder in [f for f in sys.meta_path if isinstance(f, _Watch)]:
        sys.meta_path.remove(finder)


class _Watch:
    """Meta-path finder that hooks the loading of LangChain's runnables module."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        """The regular spec of the watched module, its loader wrapped."""
        if fullname != _MODULE:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if hasattr(spec.loader, "exec_module"):
            spec.loader = _Loader(spec.loader)
        return spec


class _Loader:
    """Runs the real loader, then registers the pending classes."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        # The module sees its real loader (inspect, importlib.resources).
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        register_with(module.Runnable)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)
