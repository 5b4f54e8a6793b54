"""Importing the core never imports langchain, langsmith, pydantic, numpy or the SDK."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("langchain", "langsmith", "pydantic", "langgraph", "langgraph_sdk", "numpy")


@pytest.mark.parametrize(
    "statement",
    [
        "from stategraph.graph import StateGraph, START, END",
        "import stategraph.types, stategraph.errors, stategraph.channels",
        "from stategraph.checkpoint.memory import InMemorySaver",
        "from stategraph.pregel import Pregel, NodeBuilder",
        "from stategraph.store.memory import InMemoryStore",
        "from stategraph.store.base import BaseStore, Item, PutOp",
        "from stategraph.store.sqlite import SqliteStore",
        "import stategraph.stream, stategraph.stream.transformers",
        "from stategraph.pregel.remote import RemoteGraph, RemoteException",
        "from stategraph.graph.ui import push_ui_message, ui_message_reducer",
        "from stategraph.config import BaseStore, get_config",
        "import stategraph.utils.config, stategraph.utils.runnable",
        "import stategraph.managed.base, stategraph.managed.is_last_step",
        "import stategraph.version, stategraph.pregel.debug",
    ],
)
def test_import_pulls_in_no_heavy_package(statement: str) -> None:
    code = (
        f"{statement}\n"
        "import sys\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_importing_the_builder_leaves_the_engine_and_asyncio_unloaded() -> None:
    # The engine (and asyncio, which it needs) loads at compile(), so a plain
    # `from stategraph.graph import StateGraph` stays far under 150 ms.
    code = (
        "from stategraph.graph import StateGraph, START, END\n"
        "import sys\n"
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('stategraph._engine', 'stategraph.pregel._call'))"
        " or m == 'asyncio'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
