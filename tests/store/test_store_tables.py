"""The SQL stores share LangGraph's tables: each library reads what the other
wrote. Also: setup is idempotent, and SQLite falls back to exact scoring
when sqlite-vec cannot be loaded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
from langgraph.store.postgres import PostgresStore as LGPostgres
from langgraph.store.sqlite import SqliteStore as LGSqlite

from stategraph.store.postgres import PostgresStore
from stategraph.store.sqlite import SqliteStore, _base


def _opener(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[Any], Any]:
    if backend == "sqlite":
        path = str(tmp_path / "shared.db")
        return lambda cls: cls.from_conn_string(path)
    dsn = request.getfixturevalue("schemas")()
    return lambda cls: cls.from_conn_string(dsn)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("first", ["langgraph", "stategraph"])
def test_each_library_reads_the_others_items(
    backend: str, first: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ours_cls = SqliteStore if backend == "sqlite" else PostgresStore
    theirs_cls = LGSqlite if backend == "sqlite" else LGPostgres
    writer, reader = (
        (theirs_cls, ours_cls) if first == "langgraph" else (ours_cls, theirs_cls)
    )
    open_ = _opener(backend, tmp_path, request)
    with open_(writer) as store:
        store.setup()
        store.put(("docs", "a"), "k1", {"text": "one", "n": 1})
        store.put(("docs", "b"), "k2", {"text": "two", "n": 2})
    with open_(reader) as store:
        store.setup()
        item = store.get(("docs", "a"), "k1")
        assert item is not None
        assert item.value == {"text": "one", "n": 1}
        assert item.created_at.utcoffset() == timezone.utc.utcoffset(None)
        found = store.search(("docs",), filter={"n": 2})
        assert [(it.namespace, it.key) for it in found] == [(("docs", "b"), "k2")]
        assert store.list_namespaces() == [("docs", "a"), ("docs", "b")]
        store.put(("docs", "a"), "k1", {"text": "uno"})
    with open_(writer) as store:
        again = store.get(("docs", "a"), "k1")
        assert again is not None
        assert again.value == {"text": "uno"}


def test_setup_is_idempotent(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    for _ in range(2):
        with SqliteStore.from_conn_string(
            path, index={"dims": 2, "embed": _embed}
        ) as store:
            store.setup()
            store.put(("a",), "k", {"text": "x"})
    with SqliteStore.from_conn_string(path) as store:
        rows = store.conn.execute(
            "SELECT name, COUNT(*) FROM sg_store_migrations GROUP BY name ORDER BY name"
        ).fetchall()
    assert rows == [
        ("store", len(_base.MIGRATIONS)),
        ("vectors", len(_base.VECTOR_MIGRATIONS)),
    ]


def _embed(texts: Any) -> list[list[float]]:
    return [[float(len(t)), 1.0] for t in texts]


def test_sqlite_vec_unloadable_falls_back_to_exact_scoring(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-extension")
    monkeypatch.setattr(_base, "sqlite_vec_path", lambda: missing)
    index = {"dims": 2, "embed": _embed, "fields": ["text"]}
    with SqliteStore.from_conn_string(":memory:", index=index) as store:  # type: ignore[arg-type]
        store.put(("a",), "short", {"text": "x"})
        store.put(("a",), "long", {"text": "xxxxxxxx"})
        found = store.search(("a",), query="xxxxxxx")
        assert "sg_cosine" in store._dialect.similarity()
    assert [it.key for it in found] == ["long", "short"]
    assert found[0].score is not None
    assert found[0].score > found[1].score  # type: ignore[operator]
