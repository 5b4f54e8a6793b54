"""The storage contract of the server: assistants, threads, runs, crons as records.

Records are JSON-ready dicts in the wire shapes of the LangGraph server API.
Routes and the run executor only talk to ``Storage``; the in-memory backend
implements it now and a PostgreSQL one can later, without touching routes.
Checkpoints are not stored here: they live in a checkpoint saver.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Query:
    """A search: filters, then sort, then one page.

    Attributes:
        metadata: The record's ``metadata`` must contain this (JSON containment).
        values: The record's ``values`` must contain this.
        equals: Top-level fields that must equal the given values.
        ids: Only records whose id is one of these.
        limit: Page size.
        offset: Records skipped before the page.
        sort_by: Field to sort on (``None``: ``created_at``).
        sort_order: ``"asc"`` or ``"desc"``.
        auth: An auth handler's filter the record's ``metadata`` must pass
            (``_auth_filters``: equality, ``$eq``, ``$contains``, ``$or``,
            ``$and``).
    """

    metadata: Mapping[str, Any] | None = None
    values: Mapping[str, Any] | None = None
    equals: Mapping[str, Any] = field(default_factory=dict)
    ids: Sequence[str] | None = None
    limit: int = 10
    offset: int = 0
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] = "desc"
    auth: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of search results and the number of records that matched."""

    items: list[Record]
    total: int


class Storage(ABC):
    """Where the server keeps assistants, their versions, threads and runs.

    Every method is a coroutine and returns copies: callers may change the
    records they get without changing what is stored.
    """

    # -- assistants -----------------------------------------------------------

    @abstractmethod
    async def put_assistant(self, record: Record) -> None:
        """Insert or replace an assistant (keyed by ``assistant_id``)."""

    @abstractmethod
    async def get_assistant(self, assistant_id: str) -> Record | None:
        """The assistant, or ``None``."""

    @abstractmethod
    async def delete_assistant(self, assistant_id: str) -> bool:
        """Delete an assistant and its versions; ``False`` if it did not exist."""

    @abstractmethod
    async def search_assistants(self, query: Query) -> Page:
        """Assistants matching ``query`` (``equals`` on graph_id, name...)."""

    @abstractmethod
    async def put_assistant_version(self, record: Record) -> None:
        """Store one version of an assistant (keyed by id and ``version``)."""

    @abstractmethod
    async def assistant_versions(self, assistant_id: str, query: Query) -> Page:
        """The assistant's versions matching ``query``, newest first."""

    # -- threads --------------------------------------------------------------

    @abstractmethod
    async def put_thread(self, record: Record) -> None:
        """Insert or replace a thread (keyed by ``thread_id``)."""

    @abstractmethod
    async def get_thread(self, thread_id: str) -> Record | None:
        """The thread, or ``None``."""

    @abstractmethod
    async def delete_thread(self, thread_id: str) -> bool:
        """Delete a thread and its runs; ``False`` if it did not exist."""

    @abstractmethod
    async def search_threads(self, query: Query) -> Page:
        """Threads matching ``query`` (``equals`` on status...)."""

    # -- runs -----------------------------------------------------------------

    @abstractmethod
    async def put_run(self, record: Record) -> None:
        """Insert or replace a run (keyed by ``run_id``)."""

    @abstractmethod
    async def get_run(self, run_id: str) -> Record | None:
        """The run, or ``None``."""

    @abstractmethod
    async def delete_run(self, run_id: str) -> bool:
        """Delete a run; ``False`` if it did not exist."""

    @abstractmethod
    async def search_runs(self, query: Query) -> Page:
        """Runs matching ``query`` (``equals`` on thread_id, status...)."""

    # -- crons ----------------------------------------------------------------

    @abstractmethod
    async def put_cron(self, record: Record) -> None:
        """Insert or replace a cron (keyed by ``cron_id``)."""

    @abstractmethod
    async def get_cron(self, cron_id: str) -> Record | None:
        """The cron, or ``None``."""

    @abstractmethod
    async def delete_cron(self, cron_id: str) -> bool:
        """Delete a cron; ``False`` if it did not exist."""

    @abstractmethod
    async def search_crons(self, query: Query) -> Page:
        """Crons matching ``query`` (``equals`` on assistant_id, enabled...)."""

    @abstractmethod
    async def claim_cron(
        self,
        cron_id: str,
        due: str,
        changes: Record,
        *,
        thread: Record | None = None,
        run: Record | None = None,
    ) -> Record | None:
        """Take the cron's tick at ``due`` for this process.

        Merges ``changes`` (its next ``next_run_date``...) into the cron only
        if it is enabled and its ``next_run_date`` is still ``due``,
        atomically: of several processes claiming one tick, exactly one gets
        the updated cron back, the others ``None``. The ``thread`` and
        ``run`` the tick fires are stored with the claim, all or nothing: a
        process dying half way neither loses the tick nor lets another
        process fire it again.
        """

    # -- thread expiries --------------------------------------------------------

    @abstractmethod
    async def put_thread_ttl(self, thread_id: str, ttl: Record) -> None:
        """Set the thread's TTL: ``strategy``, ``ttl_minutes``, ``expires_at``."""

    @abstractmethod
    async def get_thread_ttl(self, thread_id: str) -> Record | None:
        """The thread's TTL record, or ``None`` (also once it was acted on)."""

    @abstractmethod
    async def delete_thread_ttl(self, thread_id: str) -> None:
        """The thread no longer expires (``delete_thread`` does this too)."""

    @abstractmethod
    async def claim_expired_threads(
        self, now: datetime, retry_at: datetime, limit: int
    ) -> list[tuple[str, Record]]:
        """Take up to ``limit`` TTLs expired at ``now`` for this process.

        Their ``expires_at`` moves to ``retry_at``, so another process does
        not take them too, and takes them again then if this one died before
        acting. Returns ``(thread_id, ttl)`` pairs.
        """

    @abstractmethod
    async def next_thread_expiry(self) -> datetime | None:
        """The earliest ``expires_at`` of any thread, if one is set."""

    async def aclose(self) -> None:  # noqa: B027  # optional hook, not a contract
        """Release connections; the in-memory backend has none."""
