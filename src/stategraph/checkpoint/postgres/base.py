"""``BasePostgresSaver`` and its schema, under LangGraph's import path.

``from stategraph.checkpoint.postgres.base import BasePostgresSaver`` works
like the same import from ``langgraph.checkpoint.postgres.base``: the class
both Postgres savers (sync and async) derive from.

``MIGRATIONS`` are the statements ``setup()`` runs, position = version number
as LangGraph numbers its own, giving the same tables, so a database set up by
either library is up to date for the other. LangGraph's module also names the
statements its saver runs (``SELECT_SQL``, ``UPSERT_CHECKPOINTS_SQL``,
``PRUNE_*_SQL``...); stategraph's saver runs different statements on those
tables (see ``stategraph.checkpoint.postgres``), so it has no text with that
meaning to offer under those names.
"""

from __future__ import annotations

from stategraph.checkpoint.base import (
    BaseCheckpointSaver as BaseCheckpointSaver,
    DeltaChannelHistory as DeltaChannelHistory,
    get_checkpoint_id as get_checkpoint_id,
    writes_sort_key as writes_sort_key,
)
from stategraph.checkpoint.postgres._base import (
    MIGRATIONS as MIGRATIONS,
    PRUNE_STRATEGIES as PRUNE_STRATEGIES,
)
from stategraph.checkpoint.postgres._saver import BasePostgresSaver as BasePostgresSaver

__all__ = ("MIGRATIONS", "PRUNE_STRATEGIES", "BasePostgresSaver")
