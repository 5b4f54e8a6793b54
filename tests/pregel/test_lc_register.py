"""Graphs become LangChain ``Runnable``s whichever of the two is imported first."""

from __future__ import annotations

import subprocess
import sys

import pytest

_BUILD = """
from typing_extensions import TypedDict
from stategraph.graph import StateGraph, START

class S(TypedDict):
    x: int

builder = StateGraph(S)
builder.add_node("a", lambda s: {"x": s["x"] + 1})
builder.add_edge(START, "a")
graph = builder.compile()
"""

_CHECK = """
import sys
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda
from stategraph.pregel._lc_register import _Watch
from stategraph.pregel.remote import RemoteGraph

base = sys.modules["langchain_core.runnables.base"]
print(isinstance(graph, Runnable), issubclass(RemoteGraph, Runnable))
print((RunnableLambda(lambda v: {"x": v}) | graph).invoke(1))
print(type(base.__loader__).__name__, type(base.__spec__.loader).__name__)
print(any(isinstance(f, _Watch) for f in sys.meta_path))
"""

_EXPECTED = "True True\n{'x': 2}\nSourceFileLoader SourceFileLoader\nFalse\n"


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(_BUILD + _CHECK, id="stategraph-first"),
        pytest.param(
            "import langchain_core.runnables\n" + _BUILD + _CHECK, id="lc-first"
        ),
    ],
)
def test_graphs_are_runnables_in_either_import_order(code: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout == _EXPECTED


def test_the_watch_waits_without_importing_langchain() -> None:
    code = (
        _BUILD
        + "from stategraph.pregel._lc_register import _Watch\n"
        + "print(any(isinstance(f, _Watch) for f in sys.meta_path),"
        + " 'langchain_core' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "True False\n"
