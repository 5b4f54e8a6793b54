"""Records of the store API: items, operations and configuration dicts.

Plain data only; the ``BaseStore`` contract that consumes them lives in
``_store``, and nothing here touches a backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, TypedDict

if TYPE_CHECKING:
    from stategraph.store.base._embed import AEmbeddingsFunc, EmbeddingsFunc


class NotProvided:
    """Type of ``NOT_PROVIDED``: "argument not given", distinct from ``None``."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_PROVIDED = NotProvided()
"""Default of ``put(..., ttl=...)``: use the store's configured default TTL."""


def _as_datetime(value: datetime | str) -> datetime:
    # Items rebuilt from JSON (for example by a client) carry ISO strings.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_fromtimestamp = datetime.fromtimestamp


def decode_moment(raw: int | str) -> datetime:
    """The aware ``datetime`` of a raw timestamp as stores keep it in an ``Item``.

    Raw forms: ``time.time_ns()`` integers (the in-memory store's clock) and
    ISO text as SQL stores read it (naive text is UTC).
    """
    if isinstance(raw, str):
        moment = datetime.fromisoformat(raw)
        return moment if moment.tzinfo else moment.replace(tzinfo=_UTC)
    micros = raw // 1000
    # The float conversion is fast but rounds; keep it only when it agrees
    # with the exact (floored, as datetime.now) microsecond.
    moment = _fromtimestamp(raw / 1e9, _UTC)
    if moment.microsecond == micros % 1_000_000:
        return moment
    return _EPOCH + timedelta(0, 0, micros)


class Item:
    """A stored value with its place and timestamps.

    Equality compares every field; the hash covers ``(namespace, key)`` only,
    so items are usable in sets keyed by their identity in the store.

    Args:
        value: The stored dictionary.
        key: The item's key inside its namespace.
        namespace: The namespace path (any sequence; kept as a tuple).
        created_at: When the item was first stored (``datetime`` or ISO text).
        updated_at: When the item was last written (``datetime`` or ISO text).
    """

    # Stores may build items with raw timestamps (``int`` or ``str``, see
    # ``decode_moment``) in ``_created``/``_updated``: most items are never
    # asked their times, so the ``datetime`` is built on first read and
    # replaces the raw value. Properties rather than ``__getattr__``, which
    # would slow every attribute read (``value`` too), not just these.
    __slots__ = ("_created", "_updated", "key", "namespace", "value")
    _FIELDS: ClassVar[tuple[str, ...]] = (
        "value",
        "key",
        "namespace",
        "created_at",
        "updated_at",
    )

    def __init__(
        self,
        *,
        value: dict[str, Any],
        key: str,
        namespace: tuple[str, ...],
        created_at: datetime,
        updated_at: datetime,
    ) -> None:
        self.value = value
        self.key = key
        self.namespace = tuple(namespace)
        # Never raw: text is parsed here (naive stays naive, as LangGraph's).
        self._created: Any = _as_datetime(created_at)
        self._updated: Any = _as_datetime(updated_at)

    @property
    def created_at(self) -> datetime:
        """When the item was first stored."""
        raw = self._created
        if type(raw) is int or type(raw) is str:
            moment = self._created = decode_moment(raw)
            if self._updated is raw:  # never updated: decode the time once
                self._updated = moment
            return moment
        result: datetime = raw
        return result

    @created_at.setter
    def created_at(self, moment: datetime) -> None:
        self._created = moment

    @property
    def updated_at(self) -> datetime:
        """When the item was last written."""
        raw = self._updated
        if type(raw) is int or type(raw) is str:
            if raw is self._created:  # never updated: decode the time once
                return self.created_at
            moment = self._updated = decode_moment(raw)
            return moment
        result: datetime = raw
        return result

    @updated_at.setter
    def updated_at(self, moment: datetime) -> None:
        self._updated = moment

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # The public fields only, timestamps decoded: pickles and copies
        # look like LangGraph's (whose slots are these fields).
        return None, {name: getattr(self, name) for name in self._FIELDS}

    def __setstate__(self, state: tuple[Any, dict[str, Any]]) -> None:
        for name, value in state[1].items():
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return False
        return (
            self.value == other.value
            and self.key == other.key
            and self.namespace == other.namespace
            and self.created_at == other.created_at
            and self.updated_at == other.updated_at
        )

    def __hash__(self) -> int:
        return hash((self.namespace, self.key))

    def dict(self) -> dict[str, Any]:
        """Return the item as JSON-ready data (timestamps in ISO format)."""
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.dict().items())
        return f"{type(self).__name__}({fields})"


class SearchItem(Item):
    """An item returned by ``search``, with its relevance ``score``.

    Args:
        namespace: The namespace path.
        key: The item's key.
        value: The stored dictionary.
        created_at: When the item was first stored.
        updated_at: When the item was last written.
        score: Similarity to the query (``None`` without a vector query).
    """

    __slots__ = ("score",)
    _FIELDS = (*Item._FIELDS, "score")

    def __init__(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        created_at: datetime,
        updated_at: datetime,
        score: float | None = None,
    ) -> None:
        super().__init__(
            value=value,
            key=key,
            namespace=namespace,
            created_at=created_at,
            updated_at=updated_at,
        )
        self.score = score

    def dict(self) -> dict[str, Any]:
        """Return the item as JSON-ready data, ``score`` included."""
        data = super().dict()
        data["score"] = self.score
        return data


def make_item(
    namespace: tuple[str, ...],
    key: str,
    value: dict[str, Any],
    created_at: Any,
    updated_at: Any,
) -> Item:
    """Build an ``Item`` from trusted parts (see ``make_search_item``)."""
    item = Item.__new__(Item)
    item.namespace = namespace
    item.key = key
    item.value = value
    item._created = created_at
    item._updated = updated_at
    return item


def make_search_item(
    namespace: tuple[str, ...],
    key: str,
    value: dict[str, Any],
    created_at: Any,
    updated_at: Any,
    score: float | None = None,
) -> SearchItem:
    """Build a ``SearchItem`` from trusted parts, skipping ``__init__``'s coercions.

    Stores call this for every search hit: the namespace must already be a
    tuple. The timestamps may be raw (see ``decode_moment``): they are
    decoded when first read. Pass the very same object as ``updated_at``
    when both times are equal, so it is decoded once.
    """
    item = SearchItem.__new__(SearchItem)
    item.namespace = namespace
    item.key = key
    item.value = value
    item._created = created_at
    item._updated = updated_at
    item.score = score
    return item


class GetOp(NamedTuple):
    """Read one item by namespace and key.

    Attributes:
        namespace: The item's namespace.
        key: The item's key.
        refresh_ttl: Restart the item's TTL clock when it has one.
    """

    namespace: tuple[str, ...]
    key: str
    refresh_ttl: bool = True


class SearchOp(NamedTuple):
    """Find items under a namespace prefix.

    Attributes:
        namespace_prefix: Only items whose namespace starts with this.
        filter: ``{field: value}`` exact matches or ``{field: {"$op": value}}``
            comparisons (``$eq``, ``$ne``, ``$gt``, ``$gte``, ``$lt``, ``$lte``).
        limit: Maximum number of items returned.
        offset: Number of matching items skipped first.
        query: Natural-language query ranked by vector similarity (needs a
            store configured with an index).
        refresh_ttl: Restart the TTL clock of the returned items.
    """

    namespace_prefix: tuple[str, ...]
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True


NamespacePath = tuple[str | Literal["*"], ...]
"""A namespace pattern in which ``"*"`` matches any one label."""

NamespaceMatchType = Literal["prefix", "suffix"]
"""Which end of a namespace a ``MatchCondition`` path is compared with."""


class MatchCondition(NamedTuple):
    """A prefix or suffix pattern that listed namespaces must match.

    Attributes:
        match_type: ``"prefix"`` or ``"suffix"``.
        path: The labels to match, ``"*"`` matching any label.
    """

    match_type: NamespaceMatchType
    path: NamespacePath


class ListNamespacesOp(NamedTuple):
    """List the namespaces that hold items.

    Attributes:
        match_conditions: Patterns every listed namespace must match.
        max_depth: Truncate namespaces to this many labels (then deduplicate).
        limit: Maximum number of namespaces returned.
        offset: Number of namespaces skipped first.
    """

    match_conditions: tuple[MatchCondition, ...] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


class PutOp(NamedTuple):
    """Store, replace or (with ``value=None``) delete one item.

    Attributes:
        namespace: The item's namespace.
        key: The item's key.
        value: The dictionary to store, or ``None`` to delete the item.
        index: Fields to embed for vector search: ``None`` uses the store's
            configured fields, ``False`` skips embedding, a list of JSON paths
            overrides the fields for this item.
        ttl: Minutes until the item expires (``None``: never).
    """

    namespace: tuple[str, ...]
    key: str
    value: Mapping[str, Any] | None
    # The field's name (LangGraph's) shadows ``tuple.index``.
    index: Literal[False] | list[str] | None = None  # type: ignore[assignment]
    ttl: float | None = None


Op = GetOp | SearchOp | PutOp | ListNamespacesOp
"""Any operation ``BaseStore.batch`` accepts."""

Result = Item | list[Item] | list[SearchItem] | list[tuple[str, ...]] | None
"""What ``BaseStore.batch`` returns for one operation."""


class TTLConfig(TypedDict, total=False):
    """Time-to-live settings of a store (durations in minutes).

    Attributes:
        refresh_on_read: Reads restart the TTL clock by default.
        omit_expired: Reads skip items that expired but were not swept yet.
        default_ttl: TTL given to items put without an explicit ``ttl``.
        sweep_interval_minutes: Period of the background sweeper.
    """

    refresh_on_read: bool
    omit_expired: bool
    default_ttl: float | None
    sweep_interval_minutes: int | None


class IndexConfig(TypedDict, total=False):
    """Vector search settings of a store.

    Attributes:
        dims: Number of dimensions of the embedding vectors.
        embed: A langchain ``Embeddings``, a (sync or async) function from a
            list of texts to their vectors, or a ``"provider:model"`` string
            resolved with ``langchain.embeddings.init_embeddings``.
        fields: JSON paths of the text to embed (default ``["$"]``, the whole
            value), with ``[*]``, ``[i]`` and ``{a,b}`` selectors.
    """

    dims: int
    embed: Any | EmbeddingsFunc | AEmbeddingsFunc | str
    fields: list[str] | None
