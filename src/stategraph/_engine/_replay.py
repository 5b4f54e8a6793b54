"""Replay state: which checkpoint a subgraph loads while its parent time-travels.

Shared by reference through the configs of one parent run; holds no I/O (the
loop turns the decision into a load effect).
"""

from __future__ import annotations

from stategraph._constants import NS_END


class ReplayState:
    """Tracks the subgraph namespaces that already loaded their pre-replay checkpoint.

    The first run of a subgraph during a parent replay loads the latest
    checkpoint saved before the replay point; later runs of the same subgraph
    (a loop) load normally, so they see what the replay itself saved.
    """

    __slots__ = ("_visited_ns", "checkpoint_id")

    def __init__(self, checkpoint_id: str) -> None:
        self.checkpoint_id = checkpoint_id
        self._visited_ns: set[str] = set()

    def first_visit(self, checkpoint_ns: str) -> bool:
        """Whether this is the first load of the subgraph at ``checkpoint_ns``."""
        stable = (
            checkpoint_ns.rsplit(NS_END, 1)[0]
            if NS_END in checkpoint_ns
            else (checkpoint_ns)
        )
        if stable in self._visited_ns:
            return False
        self._visited_ns.add(stable)
        return True
