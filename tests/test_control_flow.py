"""No broad ``except`` in the package may swallow control flow (``GraphBubbleUp``).

A handler of ``Exception``/``BaseException`` (or a bare ``except``) passes when
its ``try`` first handles ``GraphBubbleUp`` (or a subclass), when it re-raises,
or when it is listed below with the reason it cannot see control flow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import stategraph

PACKAGE = Path(stategraph.__file__).parent
CONTROL = {"GraphBubbleUp", "GraphInterrupt", "ParentCommand"}

# (module path relative to the package, enclosing function) -> why it is safe
ALLOWED = {
    ("graph/_specs.py", "_path_map"): "only reads type hints; no user code runs",
    ("channels/_binop.py", "_initial_value"): "calls a type's constructor, not a node",
    ("checkpoint/serde/jsonplus.py", "dumps_typed"): "serialization, no graph code",
    ("testing/_checkpointer.py", "validate_checkpointer"): "reports saver failures",
    (
        "pregel/_run_methods.py",
        "batch",
    ): "return_exceptions collects each input's outcome",
    ("_engine/_sync.py", "_drive"): "saver/cache effects, thrown back into the loop",
    ("_engine/_sync.py", "run_to_end"): "saver effects, thrown back into the loop",
    (
        "_engine/_sync_tasks.py",
        "run_task",
    ): "GraphBubbleUp is handled by the clause before",
    ("_engine/_async.py", "_drive"): "saver/cache effects, thrown back into the loop",
    ("_engine/_async.py", "run_to_end"): "saver effects, thrown back into the loop",
    (
        "_engine/_async_task.py",
        "run_task",
    ): "GraphBubbleUp is handled by the clause before",
    ("_engine/_spawn.py", "run"): "a call's outcome, re-raised in its caller",
    ("_engine/_sync.py", "_run_live"): "a live step's failure, re-raised in the caller",
    ("_engine/_sync.py", "step"): "a live step's failure, re-raised in the caller",
    (
        "_engine/_sync_tasks.py",
        "_run_and_commit",
    ): "a saver's failure, re-raised in the caller",
    ("stream/_channel.py", "_pull"): "kept and re-raised in every tee branch",
    ("stream/_mux.py", "close"): "first finalize error, re-raised after cleanup",
    ("stream/_mux.py", "aclose"): "first afinalize error, re-raised after cleanup",
    ("stream/_run_sync.py", "_pump_next"): "the run's error, re-raised to readers",
    ("stream/_run_async.py", "_pull"): "the run's error, re-raised to readers",
    ("stream/_subgraphs.py", "finalize"): "first close error, re-raised after cleanup",
    ("stream/_subgraphs.py", "afinalize"): "first close error, re-raised after cleanup",
    ("stream/_subgraphs.py", "fail"): "the run already failed; a child's hook error",
    ("stream/_subgraphs.py", "afail"): "the run already failed; a child's hook error",
    ("stream/_types.py", "_log_failure"): "a transformer's side task, not graph code",
    ("server/_a2a.py", "_call"): "an HTTP boundary: runs go through the API",
    ("server/_a2a_stream.py", "_events"): "an HTTP boundary: runs go through the API",
    ("server/_loopback.py", "run"): "the in-process API's failure, handed back",
    ("server/_loopback.py", "_exchange"): "encloses run(); the same handler",
}


def _names(node: ast.expr | None) -> set[str]:
    if node is None:
        return {"BaseException"}
    if isinstance(node, ast.Tuple):
        return {n for elt in node.elts for n in _names(elt)}
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()


def _violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        rel = path.relative_to(PACKAGE).as_posix()
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Try):
                    found.extend(_check(node, rel, func.name))
    return found


def _check(node: ast.Try, rel: str, func: str) -> list[str]:
    out = []
    guarded = False
    for handler in node.handlers:
        names = _names(handler.type)
        if names & CONTROL:
            guarded = True
            continue
        if not names & {"Exception", "BaseException"}:
            continue
        reraises = any(isinstance(n, ast.Raise) for n in ast.walk(handler))
        if guarded or reraises or (rel, func) in ALLOWED:
            continue
        out.append(f"{rel}:{handler.lineno} in {func}()")
    return out


def test_broad_handlers_never_swallow_control_flow() -> None:
    assert _violations() == []


def test_allowlist_has_no_stale_entries() -> None:
    present = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        rel = path.relative_to(PACKAGE).as_posix()
        present.update(
            (rel, f.name)
            for f in ast.walk(tree)
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
    assert set(ALLOWED) <= present
