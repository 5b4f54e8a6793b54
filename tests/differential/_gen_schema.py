"""``_gen``'s random graphs over dataclass and pydantic state schemas.

``gen_schema_spec(seed)`` draws a base graph with ``_gen.gen_spec`` and then,
from a second ``random.Random``, a state flavour (``dataclass``, ``pydantic``,
a pydantic model with a required field and a validator, or a pydantic model
whose ``log`` reducer sits on a field with a default) and per-node output
styles: a dict, the state model itself (partially set), or a model instance of
a node-specific output schema.  ``build_schema`` compiles it with one
library's public API.

The state classes give models ``get`` and ``in`` like a dict, so ``_gen``'s
node functions and routers (which read ``state.get("log")``) run unchanged.
"""

from __future__ import annotations

import dataclasses
import operator
import random
from functools import partial
from typing import Annotated, Any

import pydantic
from _gen import _goto_value, _tag, build_nodes, gen_spec
from _gen_ext import _send_targets

FLAVOURS = ["dataclass", "pydantic", "pydantic_required", "pydantic_validated"]


def gen_schema_spec(seed: int, *, interrupts: bool = False) -> dict[str, Any]:
    """A ``_gen`` spec plus a state flavour and node output styles."""
    spec = gen_spec(seed, interrupts=interrupts)
    rng = random.Random(seed * 7919 + 11)
    spec["flavour"] = rng.choice(FLAVOURS)
    if spec["flavour"] == "pydantic_required" and _sends_to_subgraph(spec):
        # a Send's argument lacks the required field: every instance fails
        # its input validation, and which error LangGraph raises is racy
        spec["flavour"] = "pydantic"
    spec["model_input"] = rng.random() < 0.4
    _styles(rng, spec)
    return spec


def _sends_to_subgraph(g: dict[str, Any]) -> bool:
    sent = _send_targets(g)
    return any(
        n["kind"] == "subgraph" and (n["name"] in sent or _sends_to_subgraph(n["sub"]))
        for n in g["nodes"]
    )


def _styles(rng: random.Random, g: dict[str, Any], *, nested: bool = False) -> None:
    for node in g["nodes"]:
        node["out"] = rng.choice(["dict", "dict", "dict", "model"])
        if node["sub"] is not None:
            _styles(rng, node["sub"], nested=True)
    # A model output writes every field, ``count`` too: two such writers (or
    # one and a loop node) in one step of a subgraph fail its parent's task,
    # and whether that task's siblings still stream is racy in LangGraph
    # (schema fuzzer seed 100244). Only the task that sorts last may fail.
    writers = [n for n in g["nodes"] if n["out"] == "model" or n["loop"]]
    if nested and len(writers) > 1:
        for node in writers:
            node["out"] = "dict"


class _DictLike:
    """``get``/``in`` on a model, as ``_gen``'s functions use on dicts."""

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and getattr(self, key, None) is not None


@dataclasses.dataclass
class DState(_DictLike):
    """Dataclass state: every field has a default."""

    log: Annotated[list[str], operator.add] = dataclasses.field(default_factory=list)
    total: Annotated[int, operator.add] = 0
    count: int = 0
    last: str | None = None


class PState(pydantic.BaseModel, _DictLike):
    """Pydantic state: every field has a default."""

    log: Annotated[list[str], operator.add] = []
    total: Annotated[int, operator.add] = 0
    count: int = 0
    last: str | None = None


class PRequired(pydantic.BaseModel, _DictLike):
    """Pydantic state with a required field (the input always sets it)."""

    count: int
    log: Annotated[list[str], operator.add] = pydantic.Field(default_factory=list)
    total: Annotated[int, operator.add] = 0
    last: str | None = None


class PValidated(pydantic.BaseModel, _DictLike):
    """Pydantic state whose validator rewrites ``last``."""

    log: Annotated[list[str], operator.add] = []
    total: Annotated[int, operator.add] = 0
    count: int = 0
    last: str | None = None

    @pydantic.field_validator("last")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v


SCHEMAS: dict[str, Any] = {
    "dataclass": DState,
    "pydantic": PState,
    "pydantic_required": PRequired,
    "pydantic_validated": PValidated,
}


def schema_input(spec: dict[str, Any], bad: bool = False) -> Any:
    """The run input: a dict or an instance of the state class."""
    inp = dict(spec["input"])
    if bad:
        inp["count"] = "not a number"
        return inp
    if spec["model_input"]:
        return SCHEMAS[spec["flavour"]](**inp)
    return inp


def build_schema(lib: Any, spec: dict[str, Any], *, checkpointer: Any = None) -> Any:
    """Compile ``spec`` over its flavour's state class with ``lib``."""
    kw: dict[str, Any] = {}
    if checkpointer is not None:
        kw["checkpointer"] = checkpointer
    if spec.get("interrupt_before"):
        kw["interrupt_before"] = spec["interrupt_before"]
    if spec.get("interrupt_after"):
        kw["interrupt_after"] = spec["interrupt_after"]
    schema = SCHEMAS[spec["flavour"]]
    return build_nodes(lib, spec, schema, partial(_node_fn, lib)).compile(**kw)


def _node_fn(lib: Any, node: dict[str, Any], schema: Any) -> Any:
    name = node["name"]

    def fn(state: Any) -> Any:
        tag = _tag(name, state)
        log = state.get("log") or []
        if node["raise_at"] is not None and len(log) >= node["raise_at"]:
            raise ValueError(f"boom in {tag}")
        answers = [str(lib.interrupt(f"{tag}?{k}")) for k in range(node["intr"])]
        upd: dict[str, Any] = {"log": [tag, *answers]}
        if node["last"]:
            upd["last"] = tag
        if node["total"]:
            upd["total"] = len(log) + 1
        if node["loop"]:
            upd["count"] = (state.get("count") or 0) + 1
        out: Any = upd
        if node["out"] == "model":
            if schema is PRequired:
                upd.setdefault("count", state.get("count") or 0)
            out = schema(**upd)
        if node["kind"] == "command":
            opts = node["goto"]["options"]
            choice = opts[(len(log) + node["goto"]["salt"]) % len(opts)]
            return lib.Command(goto=_goto_value(lib, choice, tag, state), update=out)
        if node["none"]:
            return None
        return out

    fn.__name__ = name
    return fn
