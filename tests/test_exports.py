"""Every public name of the LangGraph modules we mirror exists under stategraph."""

from __future__ import annotations

import importlib

import pytest

# (module, names LangGraph exports there that belong to later issues)
MIRRORED = [
    ("graph", set()),
    ("graph.state", set()),
    ("graph.message", set()),
    ("types", set()),
    ("errors", set()),
    ("constants", set()),
    ("channels", set()),
    ("managed", set()),
    ("pregel", set()),
    ("cache.base", set()),
    ("checkpoint.serde.base", set()),
    ("typing", set()),
    ("warnings", set()),
    ("func", set()),
    ("callbacks", set()),
    ("store.base", set()),
    ("store.base.embed", set()),
    ("store.memory", set()),
    ("store.sqlite", set()),
    ("store.postgres", set()),
    ("stream", set()),
    ("prebuilt", {"ToolCallTransformer"}),  # needs the v3 stream protocol
    ("prebuilt.tool_node", set()),
    ("prebuilt.chat_agent_executor", set()),
    ("prebuilt.tool_validator", set()),
]


@pytest.mark.parametrize(("module", "later"), MIRRORED, ids=[m for m, _ in MIRRORED])
def test_public_names_exist(module: str, later: set[str]) -> None:
    reference = importlib.import_module(f"langgraph.{module}")
    ours = importlib.import_module(f"stategraph.{module}")
    names = set(getattr(reference, "__all__", ()))
    missing = sorted(n for n in names - later if not hasattr(ours, n))
    assert missing == []


@pytest.mark.parametrize(
    "module",
    [
        "graph",
        "types",
        "errors",
        "channels",
        "pregel",
        "config",
        "runtime",
        "managed",
        "store.base",
        "store.base.embed",
        "store.base.batch",
        "store.memory",
        "store.sqlite",
        "store.sqlite.aio",
        "store.postgres",
        "store.postgres.aio",
        "stream",
        "stream.transformers",
        "stream.run_stream",
        "stream.stream_channel",
        "graph.ui",
        "managed.base",
        "managed.is_last_step",
        "utils.config",
        "utils.runnable",
        "version",
        "pregel.debug",
    ],
)
def test_all_lists_only_real_names(module: str) -> None:
    ours = importlib.import_module(f"stategraph.{module}")
    assert [n for n in ours.__all__ if not hasattr(ours, n)] == []


def test_config_helpers() -> None:
    from stategraph.config import get_config, get_store, get_stream_writer

    assert callable(get_config)
    assert callable(get_store)
    assert callable(get_stream_writer)
    with pytest.raises(RuntimeError, match="outside of a runnable context"):
        get_config()


def test_lazy_names_resolve_to_the_real_objects() -> None:
    from stategraph.config import BaseStore
    from stategraph.prebuilt._runnable import RunnableCallable
    from stategraph.store.base import BaseStore as StoreBase
    from stategraph.utils.runnable import RunnableCallable as Legacy, RunnableLike

    assert BaseStore is StoreBase
    assert Legacy is RunnableCallable
    assert RunnableLike is not None
    import stategraph.config as config

    with pytest.raises(AttributeError):
        _ = config.NoSuchName  # type: ignore[attr-defined]


def test_version_is_the_installed_distribution() -> None:
    from importlib.metadata import version

    from stategraph.version import __version__

    assert __version__ == version("stategraph")
