"""Every public module and name of the installed LangGraph exists under stategraph.

Renaming ``langgraph`` to ``stategraph`` in imports must keep a program
working, so this walks every public module of the ``langgraph`` and
``langgraph-prebuilt`` distributions (the checkpoint and store packages have
their own checks) and asserts the stategraph counterpart imports and has each
public name: ``__all__`` when the module defines it, else the names whose
object was defined in a ``langgraph*`` module (including ones it re-imports,
which users import from there too).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import warnings
from types import ModuleType

import pytest

DISTRIBUTIONS = ("langgraph", "langgraph-prebuilt")

# (stategraph module, name) -> why it is absent. Keep this list short.
ALLOWED_MISSING: dict[tuple[str, str], str] = {}


def _public_modules() -> list[str]:
    names: set[str] = set()
    for dist in DISTRIBUTIONS:
        for file in importlib.metadata.files(dist) or ():
            parts = file.with_suffix("").parts
            if file.suffix != ".py" or parts[0] != "langgraph":
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if not any(p.startswith("_") for p in parts):
                names.add(".".join(parts))
    return sorted(names)


def _import(name: str) -> ModuleType | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated paths warn on import
        try:
            return importlib.import_module(name)
        except ImportError:
            return None


def _public_names(module: ModuleType) -> list[str]:
    declared = vars(module).get("__all__")
    if declared is not None:
        return list(declared)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and str(getattr(value, "__module__", "") or "").startswith("langgraph")
    ]


MODULES = _public_modules()

# Names LangGraph serves from a module ``__getattr__`` (neither in ``__all__``
# nor in the module dict, so the walk cannot see them).
LAZY_NAMES = [("constants", "Send"), ("constants", "Interrupt")]


def test_the_walk_finds_the_langgraph_modules() -> None:
    assert {"langgraph.graph.ui", "langgraph.prebuilt.tool_node"} <= set(MODULES)
    assert len(MODULES) >= 40


@pytest.mark.parametrize("module", MODULES)
def test_module_and_public_names_exist(module: str) -> None:
    reference = _import(module)
    if reference is None:
        # Broken on LangGraph itself (an optional dependency is missing), so
        # there is no behaviour to mirror.
        return
    ours_name = "stategraph" + module.removeprefix("langgraph")
    ours = _import(ours_name)
    assert ours is not None, f"{ours_name} is missing"
    missing = [
        n
        for n in _public_names(reference)
        if not hasattr(ours, n) and (ours_name, n) not in ALLOWED_MISSING
    ]
    assert missing == []


@pytest.mark.parametrize(("module", "name"), LAZY_NAMES)
def test_lazy_names_exist(module: str, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn: the paths are deprecated
        reference = getattr(importlib.import_module(f"langgraph.{module}"), name)
        ours = getattr(importlib.import_module(f"stategraph.{module}"), name)
    assert ours.__name__ == reference.__name__


def test_allowlist_entries_are_still_needed() -> None:
    for ours_name, name in ALLOWED_MISSING:
        ours = _import(ours_name)
        assert ours is None or not hasattr(ours, name), (ours_name, name)
