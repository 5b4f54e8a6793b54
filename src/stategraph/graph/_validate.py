"""Checks a ``StateGraph`` before compiling: every edge names a known node.

Raises ``ValueError`` with LangGraph's messages; changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph._constants import END, START

if TYPE_CHECKING:
    from stategraph.graph._builder import StateGraph


def validate_builder(builder: StateGraph[Any], interrupt: Sequence[str] | None) -> None:
    """Raise ``ValueError`` on the first unknown node or a missing entry point."""
    all_sources = {src for src, _ in builder._all_edges}
    all_sources.update(builder.branches)
    all_sources.update(name for name, spec in builder.nodes.items() if spec.ends)
    for source in all_sources:
        if source not in builder.nodes and source != START:
            raise ValueError(f"Found edge starting at unknown node '{source}'")
    if START not in all_sources:
        raise ValueError(
            "Graph must have an entrypoint: add at least one edge from START to "
            "another node"
        )
    all_targets = {end for _, end in builder._all_edges}
    for start, branches in builder.branches.items():
        for cond, branch in branches.items():
            if branch.ends is None:
                all_targets.add(END)
                all_targets.update(n for n in builder.nodes if n != start)
                continue
            for end in branch.ends.values():
                if end not in builder.nodes and end != END:
                    raise ValueError(
                        f"At '{start}' node, '{cond}' branch found unknown target "
                        f"'{end}'"
                    )
                all_targets.add(end)
    for spec in builder.nodes.values():
        if spec.ends:
            all_targets.update(spec.ends)
    for target in all_targets:
        if target not in builder.nodes and target != END:
            raise ValueError(f"Found edge ending at unknown node `{target}`")
    for node in interrupt or ():
        if node not in builder.nodes:
            raise ValueError(f"Interrupt node `{node}` not found")
