"""In-memory ``Storage``: dicts of records, searched and sorted in Python.

For ``stategraph dev`` and tests: one process, nothing survives a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from stategraph.server._auth_filters import matches
from stategraph.server._json import to_jsonable
from stategraph.server._storage.base import Page, Query, Record, Storage


def _copy(record: Record | None) -> Any:
    # Records are JSON values; a JSON round trip copies them several times
    # faster than copy.deepcopy (thread values hold whole message histories).
    return None if record is None else to_jsonable(record)


def contains(document: Any, wanted: Any) -> bool:
    """JSON containment, as PostgreSQL's ``@>``: ``wanted`` is inside ``document``."""
    if isinstance(wanted, Mapping):
        return isinstance(document, Mapping) and all(
            key in document and contains(document[key], value)
            for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return isinstance(document, list) and all(
            any(contains(item, w) for item in document) for w in wanted
        )
    return bool(document == wanted)


def _sort_key(field: str) -> Any:
    # None sorts first whatever the type of the other values.
    def key(record: Record) -> tuple[bool, Any]:
        value = record.get(field)
        return (value is not None, value if value is not None else "")

    return key


def run_query(records: Iterable[Record], query: Query, id_field: str) -> Page:
    """Filter, sort and page ``records`` as ``query`` says."""
    wanted_ids = set(query.ids) if query.ids is not None else None
    matched = [
        record
        for record in records
        if (wanted_ids is None or record[id_field] in wanted_ids)
        and all(record.get(k) == v for k, v in query.equals.items())
        and (query.metadata is None or contains(record.get("metadata"), query.metadata))
        and (query.values is None or contains(record.get("values"), query.values))
        and (query.auth is None or matches(record.get("metadata"), query.auth))
    ]
    matched.sort(
        key=_sort_key(query.sort_by or "created_at"),
        reverse=query.sort_order == "desc",
    )
    page = matched[query.offset : query.offset + query.limit]
    return Page([_copy(r) for r in page], len(matched))


class InMemoryStorage(Storage):
    """``Storage`` in process memory."""

    def __init__(self) -> None:
        self._assistants: dict[str, Record] = {}
        self._versions: dict[str, dict[int, Record]] = {}
        self._threads: dict[str, Record] = {}
        self._runs: dict[str, Record] = {}
        self._crons: dict[str, Record] = {}
        self._ttls: dict[str, Record] = {}

    async def put_assistant(self, record: Record) -> None:
        self._assistants[record["assistant_id"]] = _copy(record)

    async def get_assistant(self, assistant_id: str) -> Record | None:
        record: Record | None = _copy(self._assistants.get(assistant_id))
        return record

    async def delete_assistant(self, assistant_id: str) -> bool:
        self._versions.pop(assistant_id, None)
        return self._assistants.pop(assistant_id, None) is not None

    async def search_assistants(self, query: Query) -> Page:
        return run_query(self._assistants.values(), query, "assistant_id")

    async def put_assistant_version(self, record: Record) -> None:
        versions = self._versions.setdefault(record["assistant_id"], {})
        versions[record["version"]] = _copy(record)

    async def assistant_versions(self, assistant_id: str, query: Query) -> Page:
        versions = self._versions.get(assistant_id, {}).values()
        return run_query(versions, query, "assistant_id")

    async def put_thread(self, record: Record) -> None:
        self._threads[record["thread_id"]] = _copy(record)

    async def get_thread(self, thread_id: str) -> Record | None:
        record: Record | None = _copy(self._threads.get(thread_id))
        return record

    async def delete_thread(self, thread_id: str) -> bool:
        for run_id in [k for k, r in self._runs.items() if r["thread_id"] == thread_id]:
            del self._runs[run_id]
        self._ttls.pop(thread_id, None)
        return self._threads.pop(thread_id, None) is not None

    async def search_threads(self, query: Query) -> Page:
        return run_query(self._threads.values(), query, "thread_id")

    async def put_run(self, record: Record) -> None:
        self._runs[record["run_id"]] = _copy(record)

    async def get_run(self, run_id: str) -> Record | None:
        record: Record | None = _copy(self._runs.get(run_id))
        return record

    async def delete_run(self, run_id: str) -> bool:
        return self._runs.pop(run_id, None) is not None

    async def search_runs(self, query: Query) -> Page:
        return run_query(self._runs.values(), query, "run_id")

    async def put_cron(self, record: Record) -> None:
        self._crons[record["cron_id"]] = _copy(record)

    async def get_cron(self, cron_id: str) -> Record | None:
        record: Record | None = _copy(self._crons.get(cron_id))
        return record

    async def delete_cron(self, cron_id: str) -> bool:
        return self._crons.pop(cron_id, None) is not None

    async def search_crons(self, query: Query) -> Page:
        return run_query(self._crons.values(), query, "cron_id")

    async def claim_cron(
        self,
        cron_id: str,
        due: str,
        changes: Record,
        *,
        thread: Record | None = None,
        run: Record | None = None,
    ) -> Record | None:
        # One event loop and no await: the check and the writes are atomic.
        cron = self._crons.get(cron_id)
        if cron is None or cron.get("next_run_date") != due or not cron["enabled"]:
            return None
        # Every copy is made before anything is written, so a record that
        # cannot be stored fails the claim with nothing changed.
        claimed: Record = _copy({**cron, **changes})
        fired_thread, fired_run = _copy(thread), _copy(run)
        self._crons[cron_id] = claimed
        if fired_thread is not None:
            self._threads[fired_thread["thread_id"]] = fired_thread
        if fired_run is not None:
            self._runs[fired_run["run_id"]] = fired_run
        result: Record = _copy(claimed)
        return result

    # -- thread expiries --------------------------------------------------------

    async def put_thread_ttl(self, thread_id: str, ttl: Record) -> None:
        self._ttls[thread_id] = _copy(ttl)

    async def get_thread_ttl(self, thread_id: str) -> Record | None:
        ttl: Record | None = _copy(self._ttls.get(thread_id))
        return ttl

    async def delete_thread_ttl(self, thread_id: str) -> None:
        self._ttls.pop(thread_id, None)

    async def claim_expired_threads(
        self, now: datetime, retry_at: datetime, limit: int
    ) -> list[tuple[str, Record]]:
        due = sorted(
            (datetime.fromisoformat(ttl["expires_at"]), thread_id)
            for thread_id, ttl in self._ttls.items()
        )
        claimed = []
        for at, thread_id in due[:limit]:
            if at > now:
                break
            self._ttls[thread_id]["expires_at"] = retry_at.isoformat()
            claimed.append((thread_id, _copy(self._ttls[thread_id])))
        return claimed

    async def next_thread_expiry(self) -> datetime | None:
        return min(
            (datetime.fromisoformat(t["expires_at"]) for t in self._ttls.values()),
            default=None,
        )
