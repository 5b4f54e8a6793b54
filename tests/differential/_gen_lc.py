"""LangChain runnable forms of ``_gen_ext``'s node functions.

``lc_forms(rng, spec)`` marks some plain and command nodes (at any depth) with
a form; ``lc_node`` builds the node in that form from its function:

- ``lambda``: a ``RunnableLambda`` is the node (with the coroutine as its
  async function when nodes are async);
- ``seq``: a ``RunnableSequence`` of that lambda and an identity step;
- ``returns``: a sync function that returns the lambda, which LangGraph
  invokes on the same input (``ainvoke`` in async runs, where the returned
  lambda is async only when nodes are async);
- ``returns_seq``: a sync function that returns the sequence.

Every form computes what the plain function does, so a divergence is in how
the library runs runnables: which API it calls, in which context, and how
interrupts, retries, commands, caches and stream writes pass through them.
"""

from __future__ import annotations

import random
from typing import Any

from langchain_core.runnables import RunnableLambda

FORMS = ["lambda", "seq", "returns", "returns_seq"]


def lc_forms(rng: random.Random, g: dict[str, Any]) -> None:
    """Give about half the function nodes of ``g`` (and its subgraphs) a form."""
    for node in g["nodes"]:
        if node["kind"] == "subgraph":
            lc_forms(rng, node["sub"])
        elif rng.random() < 0.5:
            node["ext"]["lc"] = rng.choice(FORMS)


def _same(value: Any) -> Any:
    return value


def lc_node(fn: Any, afn: Any, name: str, form: str | None) -> Any:
    """The node ``fn`` in ``form``; ``afn`` is its coroutine twin, or ``None``."""
    if form is None:
        return afn or fn
    lam = RunnableLambda(fn, afunc=afn, name=name)
    if form == "lambda":
        return lam
    seq = lam | RunnableLambda(_same)
    if form == "seq":
        return seq
    # only the coroutine where nodes are async: the async API must be used
    made = RunnableLambda(afn, name=name) if afn else lam
    if form == "returns_seq":
        made = made | RunnableLambda(_same)

    def returns(state: Any) -> Any:
        return made

    returns.__name__ = name
    return returns
