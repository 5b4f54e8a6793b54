"""Run one program on langgraph and on stategraph and compare what users see.

A program is ``program(lib, driver) -> observation``; ``lib`` gives it one
library's modules (``lib.prebuilt``, ``lib.graph`` ...), so the same code builds
both graphs. Observations become plain data: library classes by class name,
exceptions by name and message, random ids (message uuids, checkpoint and task
ids, interrupt ids) numbered by first appearance, timestamps erased.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import pprint
import re
from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.messages import BaseMessage

LIBS = ("langgraph", "stategraph")
_ID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"
)
_TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")
_ADDR_RE = re.compile(r" at 0x[0-9a-f]+")
_MODULES = {
    "prebuilt": "prebuilt",
    "tool_node": "prebuilt.tool_node",
    "agent": "prebuilt.chat_agent_executor",
    "interrupt_types": "prebuilt.interrupt",
    "validator": "prebuilt.tool_validator",
    "graph": "graph",
    "message": "graph.message",
    "types": "types",
    "errors": "errors",
    "memory": "checkpoint.memory",
    "runtime": "runtime",
    "managed": "managed",
    "config": "config",
    "warnings": "warnings",
}


class Lib:
    """One library's modules, by the short names of ``_MODULES``."""

    def __init__(self, name: str) -> None:
        self.name = name
        for attr, sub in _MODULES.items():
            setattr(self, attr, importlib.import_module(f"{name}.{sub}"))

    def __getattr__(self, attr: str) -> Any:  # only for type checkers
        raise AttributeError(attr)

    def runtime_config(self, **runtime: Any) -> dict[str, Any]:
        """The config a ``ToolNode`` needs outside a graph."""
        return {"configurable": {"__pregel_runtime": self.runtime.Runtime(**runtime)}}


_LIBS: dict[str, Lib] = {}


def lib(name: str) -> Lib:
    """The (cached) ``Lib`` of ``name``."""
    if name not in _LIBS:
        _LIBS[name] = Lib(name)
    return _LIBS[name]


class Normalizer:
    """Plain data with id placeholders numbered by first appearance."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def _id(self, match: re.Match[str]) -> str:
        return self._ids.setdefault(match.group(0), f"<id:{len(self._ids) + 1}>")

    def text(self, s: str) -> str:
        s = _ID_RE.sub(self._id, s)
        return _ADDR_RE.sub(" at <addr>", _TS_RE.sub("<ts>", s))

    def __call__(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float)):
            return v
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, BaseException):
            return {"__exc__": type(v).__name__, "str": self.text(str(v))}
        if type(v) is dict:
            return {self(k): self(x) for k, x in v.items()}
        if isinstance(v, tuple) and hasattr(v, "_fields"):
            return {
                "__type__": type(v).__name__,
                **{f: self(getattr(v, f)) for f in v._fields},
            }
        if isinstance(v, (list, tuple)):
            return type(v)(self(x) for x in v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            fields = {f.name: self(getattr(v, f.name)) for f in dataclasses.fields(v)}
            return {"__type__": type(v).__name__, **fields}
        model_fields = getattr(type(v), "model_fields", None)
        if isinstance(model_fields, dict):
            fields = {f: self(getattr(v, f, None)) for f in model_fields}
            return {"__type__": type(v).__name__, **fields}
        if type(v).__name__ == "Send":
            return {"__type__": "Send", "node": v.node, "arg": self(v.arg)}
        if isinstance(v, Mapping):
            return {self(k): self(x) for k, x in v.items()}
        return {"__repr__": self.text(repr(v)), "__type__": type(v).__name__}


def observe(name: str, program: Callable[..., Any], *args: Any) -> Any:
    """Normalised result of ``program`` on library ``name`` (errors included)."""
    try:
        result = program(lib(name), *args)
    except Exception as e:  # the error is the observation
        result = e
    return Normalizer()(result)


def render(v: Any) -> str:
    return pprint.pformat(v, width=100, sort_dicts=False)


def same(program: Callable[..., Any], *args: Any) -> Any:
    """Run ``program`` on both libraries, assert equal observations, return ours."""
    reference = observe("langgraph", program, *args)
    ours = observe("stategraph", program, *args)
    ref_text, our_text = render(reference), render(ours)
    if ref_text != our_text:
        diff = difflib.unified_diff(
            ref_text.splitlines(),
            our_text.splitlines(),
            "langgraph",
            "stategraph",
            lineterm="",
        )
        raise AssertionError("observations differ:\n" + "\n".join(list(diff)[:80]))
    return ours


def attempt(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, or the exception it raised (to observe both)."""
    try:
        return func(*args, **kwargs)
    except Exception as e:  # the error is the observation
        return e


def trace(
    lib: Lib,
    driver: Any,
    graph: Any,
    input: Any,
    config: dict[str, Any] | None = None,
    *,
    stream_mode: Any = ("updates", "values"),
    **kwargs: Any,
) -> dict[str, Any]:
    """Stream ``input``; then the final state and history when checkpointed."""
    config = config or {"configurable": {"thread_id": "t"}}
    out: dict[str, Any] = {}
    chunks = attempt(
        driver.stream, graph, input, config, stream_mode=list(stream_mode), **kwargs
    )
    out["chunks"] = chunks if isinstance(chunks, Exception) else _canonical(chunks)
    if graph.checkpointer is not None:
        out["state"] = driver.get_state(graph, config)
        out["history"] = [_without_result_ids(s) for s in driver.history(graph, config)]
    return out


def _canonical(chunks: list[Any]) -> list[Any]:
    """Chunks with each run between two ``values`` chunks sorted.

    Parallel tasks report their updates (and messages, custom events) as they
    finish, so their order within a step depends on thread timing, in LangGraph
    too; ``values`` chunks mark the steps, whose order is kept.
    """
    out: list[Any] = []
    run: list[Any] = []
    for chunk in [*chunks, None]:
        # (mode, data), or (namespace, mode, data) with subgraphs=True
        if isinstance(chunk, tuple) and chunk[-2] != "values":
            run.append(chunk)
            continue
        out.extend(sorted(run, key=lambda c: _ID_RE.sub("<id>", repr(c))))
        run = []
        if chunk is not None:
            out.append(chunk)
    return out


def _without_result_ids(snapshot: Any) -> Any:
    """The snapshot with message ids erased from its tasks' saved results.

    LangGraph serialises a task's writes on a background thread, usually after
    ``add_messages`` gave the new messages ids in place, so its saved results
    show ids that were not there when the task returned; ours are saved as
    returned. Which one is seen depends on thread timing, not on behaviour.
    """
    tasks = tuple(t._replace(result=_erase_ids(t.result)) for t in snapshot.tasks)
    return snapshot._replace(tasks=tasks)


def _erase_ids(value: Any) -> Any:
    if isinstance(value, BaseMessage):
        return value.model_copy(update={"id": None})
    if isinstance(value, dict):
        return {k: _erase_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_erase_ids(v) for v in value]
    return value
