"""The caches' methods take LangGraph's parameter names, so keyword calls work."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

CACHES = [
    ("memory", "InMemoryCache"),
    ("sqlite", "SqliteCache"),
    ("redis", "RedisCache"),
]
METHODS = ["get", "aget", "set", "aset", "clear", "aclear"]


def _cls(lib: str, module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"{lib}.cache.{module}"), name)


@pytest.mark.parametrize(("module", "name"), CACHES)
@pytest.mark.parametrize("method", METHODS)
def test_parameter_names_match_langgraph(module: str, name: str, method: str) -> None:
    ours = inspect.signature(getattr(_cls("stategraph", module, name), method))
    theirs = inspect.signature(getattr(_cls("langgraph", module, name), method))
    assert list(ours.parameters) == list(theirs.parameters)


def test_set_by_keyword() -> None:
    from stategraph.cache.memory import InMemoryCache
    from stategraph.cache.sqlite import SqliteCache

    memory: InMemoryCache[Any] = InMemoryCache()
    memory.set(keys={(("ns",), "k"): (1, None)})
    assert memory.get([(("ns",), "k")]) == {(("ns",), "k"): 1}
    sqlite: SqliteCache[Any] = SqliteCache(path=":memory:")
    sqlite.set(mapping={(("ns",), "k"): (2, None)})
    assert sqlite.get([(("ns",), "k")]) == {(("ns",), "k"): 2}
