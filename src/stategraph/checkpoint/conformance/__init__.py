"""LangGraph's checkpointer conformance suite API, under its import path.

``from stategraph.checkpoint.conformance import checkpointer_test, validate``
works like ``langgraph.checkpoint.conformance`` (the
``langgraph-checkpoint-conformance`` package), and runs stategraph's own suite
(``stategraph.testing``) on the saver. The modules ``initializer``,
``capabilities``, ``report`` and ``validate`` hold LangGraph's other names.

Example:
    >>> @checkpointer_test(name="MySaver")
    ... async def my_saver():
    ...     yield MySaver()
    >>> report = await validate(my_saver)  # doctest: +SKIP
    >>> assert report.passed_all_base()  # doctest: +SKIP
"""

from __future__ import annotations

from stategraph.checkpoint.conformance.initializer import (
    checkpointer_test as checkpointer_test,
)

# Through the submodule (as LangGraph does): importing ``.validate`` later
# then cannot replace the function with the module of the same name.
from stategraph.checkpoint.conformance.validate import validate as validate

__all__ = ("checkpointer_test", "validate")
