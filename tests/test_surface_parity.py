"""Every public module and name of the installed LangGraph exists under stategraph.

Renaming ``langgraph`` to ``stategraph`` in imports must keep a program
working, so this walks every public module of the ``langgraph``,
``langgraph-prebuilt`` and ``langgraph-checkpoint*`` distributions (graph,
prebuilt, checkpoint, serde, cache and store packages) and asserts the
stategraph counterpart imports and has each public name: ``__all__`` when the
module defines it, else the names whose object was defined in a
``langgraph*`` module (including ones it re-imports, which users import from
there too) and the constants (strings, numbers, containers) the module's own
source assigns at top level.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import warnings
from types import ModuleType

import pytest

DISTRIBUTIONS = (
    "langgraph",
    "langgraph-prebuilt",
    "langgraph-checkpoint",
    "langgraph-checkpoint-sqlite",
    "langgraph-checkpoint-postgres",
)

_PG_SAVER = "stategraph.checkpoint.postgres"
# The statements LangGraph's Postgres savers run. stategraph's savers run their
# own statements (other parameters, rows and locking) on the same tables, so
# these names have no text of the same meaning; exposing ours under them
# would mislead code that executes them with LangGraph's parameters.
_LANGGRAPH_SAVER_SQL = "LangGraph's saver's own statements; ours differ"
# LangGraph's shallow saver has its own table layout; stategraph's shallow
# savers are the regular ones with keep_last=1, on the regular tables.
_LANGGRAPH_SHALLOW_SQL = "LangGraph's shallow table layout, which we do not use"

# (stategraph module, name) -> why it is absent. Keep this list short.
ALLOWED_MISSING: dict[tuple[str, str], str] = {
    **{
        (f"{_PG_SAVER}.base", name): _LANGGRAPH_SAVER_SQL
        for name in (
            "SELECT_SQL",
            "SELECT_PENDING_SENDS_SQL",
            "UPSERT_CHECKPOINT_BLOBS_SQL",
            "UPSERT_CHECKPOINTS_SQL",
            "UPSERT_CHECKPOINT_WRITES_SQL",
            "INSERT_CHECKPOINT_WRITES_SQL",
            "PRUNE_DELETE_THREADS_SQL",
            "PRUNE_DELTA_THREADS_SQL",
            "PRUNE_HEADS_SQL",
            "PRUNE_SNAPSHOT_SQL",
            "PRUNE_UNKEPT_SQL",
            "PRUNE_WRITES_SQL",
            "PRUNE_CHECKPOINTS_SQL",
            "PRUNE_PARENTS_SQL",
            "PRUNE_REFERENCED_BLOBS_SQL",
            "PRUNE_BLOBS_SQL",
            "PRUNE_SUBGRAPH_CALLS_SQL",
        )
    },
    **{
        (f"{_PG_SAVER}.shallow", name): _LANGGRAPH_SHALLOW_SQL
        for name in (
            "MIGRATIONS",
            "SELECT_SQL",
            "UPSERT_CHECKPOINT_BLOBS_SQL",
            "UPSERT_CHECKPOINTS_SQL",
            "UPSERT_CHECKPOINT_WRITES_SQL",
            "INSERT_CHECKPOINT_WRITES_SQL",
        )
    },
    ("stategraph.store.postgres.base", "VECTOR_MIGRATIONS"): (
        "Migration records computed from LangGraph's index settings; setup() "
        "creates the vector table for pgvector or the real[] fallback instead"
    ),
    ("stategraph.store.postgres.base", "get_distance_operator"): (
        "returns fragments of LangGraph's own search query (aliases sv, scored)"
    ),
}


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


_CONSTANT_TYPES = (str, bytes, int, float, bool, tuple, list, dict, set, frozenset)


def _assigned_constants(module: ModuleType) -> set[str]:
    """Public names the module's source binds at top level to plain data."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):  # no source, e.g. an empty package file
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    found = vars(module)
    return {
        n
        for n in names
        if not n.startswith("_") and n in found and type(found[n]) in _CONSTANT_TYPES
    }


def _public_names(module: ModuleType) -> list[str]:
    declared = vars(module).get("__all__")
    if declared is not None:
        return list(declared)
    constants = _assigned_constants(module)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (
            name in constants
            or str(getattr(value, "__module__", "") or "").startswith("langgraph")
        )
    ]


MODULES = _public_modules()

# Names LangGraph serves from a module ``__getattr__`` (neither in ``__all__``
# nor in the module dict, so the walk cannot see them).
LAZY_NAMES = [("constants", "Send"), ("constants", "Interrupt")]


def test_the_walk_finds_the_langgraph_modules() -> None:
    assert {
        "langgraph.graph.ui",
        "langgraph.prebuilt.tool_node",
        "langgraph.checkpoint.postgres.shallow",
        "langgraph.checkpoint.serde.event_hooks",
        "langgraph.store.sqlite.aio",
    } <= set(MODULES)
    assert len(MODULES) >= 70


def test_the_walk_sees_module_constants() -> None:
    import langgraph.checkpoint.serde.jsonplus as jsonplus

    assert "EMPTY_BYTES" in _public_names(jsonplus)
    assert "logger" not in _public_names(jsonplus)


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
