"""The functional API: workflows as plain functions (LangGraph's ``langgraph.func``).

``@entrypoint`` turns a function into a runnable graph; ``@task`` functions it
calls run as tasks of that graph, in parallel, checkpointed and resumable.
"""

from stategraph.func._entrypoint import entrypoint as entrypoint
from stategraph.func._task import task as task

__all__ = ("task", "entrypoint")
