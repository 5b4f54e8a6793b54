"""Records, embed helpers and the batching base of ``stategraph.store.base``,
checked against LangGraph's where it defines the behaviour."""

from __future__ import annotations

import asyncio
import pickle
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from langgraph.store.base import Item as LGItem, SearchItem as LGSearchItem
from langgraph.store.base.embed import (
    get_text_at_path as lg_get_text,
    tokenize_path as lg_tokenize,
)
from langgraph.store.memory import InMemoryStore as LGInMemoryStore

from stategraph.store.base import (
    NOT_PROVIDED,
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    PutOp,
    SearchItem,
    SearchOp,
    ensure_embeddings,
    get_text_at_path,
    tokenize_path,
)
from stategraph.store.base.batch import AsyncBatchedBaseStore
from stategraph.store.base.embed import EmbeddingsLambda
from stategraph.store.memory import InMemoryStore

T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)
PATHS = ["a", "a.b", "a[0]", "a[-1].b", "a[*].b", "a.{b,c}", "a.*", "$", "", "x.y[2]"]
DOC: dict[str, Any] = {
    "a": [{"b": "one", "c": 2}, {"b": ["x"], "c": None}],
    "x": {"y": [1, 2, {"z": True}]},
}


@pytest.mark.parametrize("path", PATHS)
def test_tokenize_path_matches_langgraph(path: str) -> None:
    assert tokenize_path(path) == lg_tokenize(path)


@pytest.mark.parametrize("path", [*PATHS, "a.b", "x.y[*]", "x.y[-1].z", "a[9]"])
@pytest.mark.parametrize("doc", [DOC, {"a": {"b": "s", "c": 1.5}}, {"a": [1, "t"]}])
def test_get_text_at_path_matches_langgraph(path: str, doc: dict[str, Any]) -> None:
    assert get_text_at_path(doc, path) == lg_get_text(doc, path)


def test_items_behave_like_langgraphs() -> None:
    kw: dict[str, Any] = {
        "value": {"v": 1},
        "key": "k",
        "created_at": T0,
        "updated_at": T0,
    }
    ours, theirs = Item(namespace=("a",), **kw), LGItem(namespace=("a",), **kw)
    assert ours.dict() == theirs.dict()
    assert repr(ours) == repr(theirs)
    assert hash(ours) == hash(theirs)
    # A list namespace (as JSON gives) is accepted and kept as a tuple.
    listed: Any = ["a"]
    assert ours == Item(namespace=listed, **{**kw, "created_at": T0.isoformat()})
    assert ours != Item(namespace=("a",), **{**kw, "value": {"v": 2}})
    hit = SearchItem(("a",), "k", {"v": 1}, T0, T0, 0.5)
    assert hit.dict() == LGSearchItem(("a",), "k", {"v": 1}, T0, T0, 0.5).dict()
    assert repr(NOT_PROVIDED) == "NOT_GIVEN"
    assert not NOT_PROVIDED


def test_ops_have_langgraphs_defaults() -> None:
    assert GetOp(("a",), "k").refresh_ttl is True
    assert SearchOp(("a",))[1:] == (None, 10, 0, None, True)
    assert PutOp(("a",), "k", None)[3:] == (None, None)
    assert ListNamespacesOp() == (None, None, 100, 0)


def test_ensure_embeddings_wraps_functions() -> None:
    def embed(texts: Any) -> list[list[float]]:
        return [[float(len(t))] for t in texts]

    async def aembed(texts: Any) -> list[list[float]]:
        return [[2.0 * len(t)] for t in texts]

    sync = ensure_embeddings(embed)
    assert sync.embed_documents(["ab"]) == [[2.0]]
    assert sync.embed_query("abc") == [3.0]
    assert asyncio.run(sync.aembed_query("a")) == [1.0]
    both = ensure_embeddings(aembed)
    assert asyncio.run(both.aembed_documents(["ab"])) == [[4.0]]
    with pytest.raises(ValueError, match="async function only"):
        both.embed_query("a")
    assert ensure_embeddings(sync) is sync
    with pytest.raises(ValueError, match=r"^embed must be provided$"):
        ensure_embeddings(None)
    with pytest.raises(ValueError, match=r"^func must be provided$"):
        EmbeddingsLambda(None)  # type: ignore[arg-type]


def test_embeddings_objects_are_used_as_is() -> None:
    from langchain_core.embeddings import FakeEmbeddings

    model = FakeEmbeddings(size=3)
    assert ensure_embeddings(model) is model
    store = InMemoryStore(index={"dims": 3, "embed": model})
    store.put(("a",), "k", {"text": "x"})
    assert store.search(("a",), query="x")[0].score is not None


class Recording(AsyncBatchedBaseStore):
    """Records the batches it is given; answers from an in-memory store."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = InMemoryStore()
        self.batches: list[list[Any]] = []

    async def abatch(self, ops: Any) -> list[Any]:
        ops = list(ops)
        self.batches.append(ops)
        return await self.inner.abatch(ops)


def test_concurrent_calls_share_one_batch() -> None:
    async def main() -> tuple[Recording, Any]:
        store = Recording()
        await store.aput(("a",), "k", {"v": 0})
        got = await asyncio.gather(
            store.aget(("a",), "k"),
            store.aget(("a",), "k"),
            store.aput(("a",), "j", {"v": 1}),
            store.aput(("a",), "j", {"v": 2}),
            store.asearch(("a",), filter={"v": 0}),
        )
        return store, got

    store, got = asyncio.run(main())
    assert len(store.batches) == 2
    assert len(store.batches[1]) == 3  # two equal gets and two puts merged
    assert got[0] == got[1]
    assert got[0].value == {"v": 0}
    assert [it.key for it in got[4]] == ["k"]
    assert store.inner.get(("a",), "j").value == {"v": 2}  # type: ignore[union-attr]


def test_sync_call_on_the_loop_thread_is_refused() -> None:
    async def main() -> None:
        store = Recording()
        with pytest.raises(asyncio.InvalidStateError, match=r"store\.aget"):
            store.get(("a",), "k")
        await store.aput(("a",), "k", {"v": 1})
        found = await asyncio.to_thread(store.get, ("a",), "k")
        assert found is not None
        assert found.value == {"v": 1}

    asyncio.run(main())


def test_generated_sync_modules_are_current() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_items_in_state_serialize_as_langgraph_writes_them() -> None:
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer as Theirs
    from langgraph.store.base import GetOp as LGGetOp

    from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer as Ours

    kw: dict[str, Any] = {
        "value": {"v": 1},
        "key": "k",
        "created_at": T0,
        "updated_at": T0,
    }
    ours, theirs = Ours(), Theirs()
    item, lg_item = Item(namespace=("a",), **kw), LGItem(namespace=("a",), **kw)
    assert ours.dumps_typed(item) == theirs.dumps_typed(lg_item)
    assert ours.loads_typed(theirs.dumps_typed(lg_item)) == item
    assert theirs.loads_typed(ours.dumps_typed(item)) == lg_item
    assert ours.dumps_typed(GetOp(("a",), "k")) == theirs.dumps_typed(
        LGGetOp(("a",), "k")
    )
    hit = SearchItem(("a",), "k", {"v": 1}, T0, T0, 0.5)
    assert ours.loads_typed(ours.dumps_typed(hit)) == item


def test_postgres_store_rejects_unknown_distances() -> None:
    from stategraph.store.postgres import PostgresStore

    embed = lambda texts: [[1.0, 0.0]]  # noqa: E731
    index: Any = {"dims": 2, "embed": embed, "distance_type": "hamming"}
    with pytest.raises(ValueError, match=r"^Invalid distance_type: 'hamming'"):
        PostgresStore(None, index=index)  # type: ignore[arg-type]


def test_an_unused_batched_store_is_collected() -> None:
    import gc
    import weakref

    async def main() -> tuple[weakref.ref[Recording], asyncio.Task[None]]:
        store = Recording()
        await store.aput(("a",), "k", {"v": 1})
        task = store._task
        assert task is not None
        return weakref.ref(store), task

    async def run() -> None:
        ref, task = await main()
        gc.collect()
        assert ref() is None
        await asyncio.wait({task}, timeout=10)  # __del__ cancelled it
        assert task.cancelled()

    asyncio.run(run())


def test_memory_search_sees_namespaces_added_after_a_cached_search() -> None:
    # search() caches the namespaces under a prefix; new ones must show up.
    theirs = LGInMemoryStore()
    ours = InMemoryStore()
    script: list[tuple[tuple[str, ...], str]] = [
        (("a",), "1"),
        (("a", "b"), "2"),
        (("c",), "3"),
        (("a", "b", "c"), "4"),
        (("a",), "5"),
        (("a", "d"), "6"),
    ]
    for ns, key in script:
        for store in (theirs, ours):
            store.put(ns, key, {"k": key})
        for prefix in [("a",), ("a", "b"), ("c",), ("x",)]:
            pages: list[dict[str, Any]] = [{}, {"limit": 2, "offset": 1}, {"limit": 0}]
            for page in pages:
                lg = theirs.search(prefix, **page)
                sg = ours.search(prefix, **page)
                assert [(i.namespace, i.key) for i in sg] == [
                    (i.namespace, i.key) for i in lg
                ], (prefix, page)
    assert len(ours.search(("a",), limit=100)) == 5
    with pytest.raises(InvalidNamespaceError):
        ours.search(("a", ""))
    before = ours.get(("a",), "1")
    assert before is not None
    ours.put(("a",), "1", {"k": "again"})
    after = ours.get(("a",), "1")
    assert after is not None
    assert after.created_at == before.created_at
    assert after.updated_at >= before.updated_at
    assert after.value == {"k": "again"}


def test_raw_times_decode_like_datetime_now() -> None:
    # decode_moment's fast float path must agree with the exact, floored
    # microsecond, including where float rounding would go up.
    from stategraph.store.base._records import decode_moment

    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    base = 1_764_445_050 * 10**9
    for ns in [0, 999, 1_000, base + 999_999_999, base + 500, base + 123_456_789]:
        exact = epoch + timedelta(microseconds=ns // 1000)
        assert decode_moment(ns) == exact, ns
    rng = random.Random(5)
    for _ in range(2000):
        ns = base + rng.randrange(10**12)
        assert decode_moment(ns) == epoch + timedelta(microseconds=ns // 1000)
    assert decode_moment("2030-01-01 00:00:00") == T0  # naive text is UTC
    assert decode_moment("2030-01-01T00:00:00+00:00") == T0


def test_store_items_have_langgraphs_shape() -> None:
    store = InMemoryStore()
    before = datetime.now(timezone.utc)
    store.put(("a",), "k", {"v": 1})
    item = store.get(("a",), "k")
    after = datetime.now(timezone.utc)
    assert item is not None
    assert before <= item.created_at <= after
    assert item.created_at is item.updated_at
    assert type(item.created_at) is datetime
    assert item.created_at.tzinfo is timezone.utc
    theirs = LGItem(
        value={"v": 1},
        key="k",
        namespace=("a",),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
    assert repr(item) == repr(theirs)
    assert item.dict() == theirs.dict()
    again = pickle.loads(pickle.dumps(item))
    assert again == item
    assert type(again) is Item
    hit = store.search(("a",))[0]
    assert pickle.loads(pickle.dumps(hit)).dict() == hit.dict()
    item.updated_at = T0  # assignable, as LangGraph's
    assert item.updated_at == T0
    assert item.created_at != T0
