"""pgvector settings of the PostgreSQL stores: column type, scoring, ANN index.

The extension's objects are named with their schema (``"public".vector``,
``OPERATOR("public".<=>)``), so a store whose ``search_path`` does not list
the schema the extension was installed in still finds them. The approximate
index is built as LangGraph's ``PostgresStore`` builds it, from
``ann_index_config`` (``kind``: ``"hnsw"`` by default, ``"ivfflat"`` or
``"flat"`` for none; ``vector_type``: ``"vector"`` or ``"halfvec"``).

An index scan stops after ``hnsw.ef_search`` candidates (IVFFlat: the probed
lists), before the namespace and filter conditions drop rows, so a filtered
search could come back short. pgvector 0.8 added iterative scans, which go on
scanning until the ``LIMIT`` is met: the search turns them on for its own
transaction (``set_config(..., is_local => true)``) when the installed
extension has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA = (
    "SELECT n.nspname, e.extversion FROM pg_extension e"
    " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'"
)
CREATE = "CREATE EXTENSION IF NOT EXISTS vector"
INDEX_NAME = "store_vectors_embedding_idx"
_KINDS = ("hnsw", "ivfflat", "flat")
_TYPES = ("vector", "halfvec")
# Integer build parameters of each index kind (``nlist`` is ivfflat's
# ``lists`` under LangGraph's name for it).
_PARAMS = {"hnsw": {"m", "ef_construction"}, "ivfflat": {"lists", "nlist"}}
DISTANCES = ("cosine", "l2", "inner_product")
_OPERATORS = {"cosine": "<=>", "l2": "<->", "inner_product": "<#>"}
_OPCLASS = {"cosine": "cosine_ops", "l2": "l2_ops", "inner_product": "ip_ops"}


def has_iterative_scan(version: str) -> bool:
    """Say whether pgvector ``version`` (``"0.8.0"``) has iterative index scans."""
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:2]]
    major, minor = [*parts, 0, 0][:2]
    return (major, minor) >= (0, 8)


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class VectorSpace:
    """Where pgvector lives and which of its types the embeddings use."""

    schema: str
    type: str = "vector"
    distance: str = "cosine"
    iterative: bool = False
    """The extension has iterative index scans (pgvector 0.8 and later)."""

    @property
    def scan_settings(self) -> str | None:
        """SQL turning on iterative index scans for the transaction, if available.

        HNSW keeps the exact distance order (``strict_order``); IVFFlat only
        has ``relaxed_order``, which the search's own sort by distance undoes.
        """
        if not self.iterative:
            return None
        return (
            "SELECT set_config('hnsw.iterative_scan', 'strict_order', true),"
            " set_config('ivfflat.iterative_scan', 'relaxed_order', true)"
        )

    @property
    def qualified(self) -> str:
        """The embedding type, schema-qualified."""
        return f"{quote(self.schema)}.{self.type}"

    @property
    def placeholder(self) -> str:
        """A vector parameter, cast to the embedding type."""
        return f"%s::{self.qualified}"

    @property
    def distance_sql(self) -> str:
        """The pgvector distance of ``sv.embedding`` to the query parameter.

        A bare operator expression: ordering by it ascending (with a
        ``LIMIT``) is what lets the planner scan an HNSW or IVFFlat index.
        """
        op = _OPERATORS[self.distance]
        return f"sv.embedding OPERATOR({quote(self.schema)}.{op}) {self.placeholder}"

    @property
    def similarity(self) -> str:
        """The score of ``sv.embedding`` for the query (higher is nearer)."""
        if self.distance == "cosine":
            return f"1 - ({self.distance_sql})"
        return f"-({self.distance_sql})"

    def score(self, distance: float) -> float:
        """LangGraph's score for a pgvector distance: ``1 - d`` (cosine), else ``-d``.

        For ``inner_product`` pgvector's ``<#>`` is the negated inner product,
        so the score is the inner product itself.
        """
        return 1.0 - distance if self.distance == "cosine" else -distance


def check_ann(index: dict[str, Any] | None) -> None:
    """Reject ``ann_index_config`` values the index could not be built with.

    Raises:
        ValueError: On an unknown ``kind`` or ``vector_type``, or a build
            parameter that is not a positive integer.
    """
    ann = dict((index or {}).get("ann_index_config") or {})
    kind = ann.pop("kind", "hnsw")
    if kind not in _KINDS:
        raise ValueError(
            f"Invalid index kind for pgvector: {kind!r}. Expected 'hnsw', "
            "'ivfflat', or 'flat'."
        )
    vector_type = ann.pop("vector_type", "vector")
    if vector_type not in _TYPES:
        raise ValueError(
            f"Invalid vector_type for pgvector: {vector_type!r}. Expected "
            "'vector' or 'halfvec'."
        )
    for name, value in ann.items():
        if name in _PARAMS.get(kind, ()) and not (
            isinstance(value, int) and not isinstance(value, bool) and value > 0
        ):
            raise ValueError(
                f"Invalid index parameter {name}={value!r}: use a positive integer."
            )


def vector_type(index: dict[str, Any]) -> str:
    """The embedding type the index settings ask for."""
    return str((index.get("ann_index_config") or {}).get("vector_type", "vector"))


def type_of(column: str) -> str | None:
    """The pgvector type of an existing embedding column, ``None`` if not one.

    ``column`` is ``format_type``'s text: ``vector(4)``, ``"public".halfvec(4)``
    (schema-qualified when not on the ``search_path``) or ``real[]``.
    """
    name = column.split("(")[0].rsplit(".", 1)[-1].strip('"')
    return name if name in _TYPES else None


def index_sql(index: dict[str, Any], space: VectorSpace) -> str | None:
    """The ANN index statement, or ``None`` for ``kind="flat"``."""
    ann = dict(index.get("ann_index_config") or {})
    kind = ann.get("kind", "hnsw")
    if kind == "flat":
        return None
    params = {
        ("lists" if name == "nlist" else name): int(value)
        for name, value in ann.items()
        if name in _PARAMS[kind]
    }
    with_ = (
        " WITH (" + ", ".join(f"{k} = {v}" for k, v in params.items()) + ")"
        if params
        else ""
    )
    ops = f"{quote(space.schema)}.{space.type}_{_OPCLASS[space.distance]}"
    return (
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON store_vectors"
        f" USING {kind} (embedding {ops}){with_}"
    )
