from __future__ import annotations

import copy
import re
import subprocess
import sys
import textwrap
import threading
import typing
from collections.abc import Callable, Iterator
from typing import Any

import langgraph.graph.message as lg_message
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    FunctionMessage,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

import stategraph.graph.message as sg_message
from stategraph._config import var_child_config
from stategraph._constants import CONF, CONFIG_KEY_SEND
from stategraph.graph import _messages
from stategraph.graph.message import (
    REMOVE_ALL_MESSAGES,
    MessagesState,
    RemoveMessageDict,
    add_messages,
    push_message,
)

lg_add = lg_message.add_messages

UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
ROLE_TO_TYPE = {
    "user": "human",
    "assistant": "ai",
    "system": "system",
    "tool": "tool",
    "function": "function",
    "remove": "remove",
}


class Labeler:
    """Replaces generated (uuid4) ids by labels in order of first sight."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def __call__(self, mid: Any) -> Any:
        if isinstance(mid, str) and UUID_RE.match(mid):
            return self.labels.setdefault(mid, f"<gen{len(self.labels)}>")
        return mid


def norm_lc(msgs: list[Any], lab: Labeler | None = None) -> list[Any]:
    lab = lab or Labeler()
    out = []
    for m in msgs:
        assert isinstance(m, BaseMessage)
        dump = {k: v for k, v in m.model_dump().items() if k != "id"}
        out.append((type(m).__name__, dump, lab(m.id)))
    return out


def brief_lc(msgs: list[Any], lab: Labeler) -> list[Any]:
    return [(m.type, m.content, lab(m.id)) for m in msgs]


def brief_dicts(msgs: list[Any], lab: Labeler) -> list[Any]:
    out = []
    for m in msgs:
        assert isinstance(m, dict)
        assert set(m) >= {"role", "content", "id"}
        out.append((ROLE_TO_TYPE[m["role"]], m["content"], lab(m["id"])))
    return out


@pytest.fixture
def dict_world(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_messages, "_FORCE_DICTS", True)


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except Exception as e:
        return "error", (type(e), str(e))


# ---------------------------------------------------------------------------
# LangChain world: differential against LangGraph

CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "append": lambda: (
        [HumanMessage("hi", id="1")],
        [AIMessage("hello", id="2")],
    ),
    "missing ids": lambda: ([HumanMessage("hi")], [AIMessage("hello")]),
    "replace": lambda: (
        [HumanMessage("hi", id="1"), AIMessage("x", id="2")],
        [HumanMessage("hi again", id="1")],
    ),
    "replace with other type": lambda: (
        [HumanMessage("hi", id="1")],
        [AIMessage("now ai", id="1")],
    ),
    "single messages": lambda: (HumanMessage("a", id="1"), AIMessage("b", id="2")),
    "single string": lambda: ([], "hello"),
    "strings list": lambda: ([], ["a", "b"]),
    "tuple": lambda: ([], ("assistant", "yo")),
    "tuple list": lambda: (
        [("user", "hi")],
        [("ai", "a"), ("human", "b"), ("system", "s"), ("developer", "d")],
    ),
    "dicts": lambda: (
        [{"role": "user", "content": "hi", "id": "1"}],
        [
            {"role": "assistant", "content": "yo", "id": "1"},
            {"type": "human", "content": "typed"},
            {"role": "tool", "content": "r", "tool_call_id": "c1"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c2", "function": {"name": "f", "arguments": '{"a": 1}'}}
                ],
            },
        ],
    ),
    "lc envelope": lambda: (
        [],
        [
            {
                "lc": 1,
                "type": "constructor",
                "id": ["langchain", "schema", "messages", "AIMessage"],
                "kwargs": {"content": "from envelope", "id": "e1"},
            }
        ],
    ),
    "chunks": lambda: (
        [AIMessageChunk("left chunk", id="1")],
        [HumanMessageChunk("right chunk"), AIMessageChunk("c", id="1")],
    ),
    "mixed": lambda: (
        [HumanMessage("a", id="1"), ("ai", "b")],
        [ToolMessage("t", tool_call_id="x"), "s", {"role": "system", "content": "q"}],
    ),
    "remove": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        [RemoveMessage(id="1")],
    ),
    "remove then re-add": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        [RemoveMessage(id="1"), HumanMessage("back", id="1")],
    ),
    "re-add then remove": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        [HumanMessage("back", id="1"), RemoveMessage(id="1")],
    ),
    "remove just added": lambda: (
        [HumanMessage("a", id="1")],
        [AIMessage("b", id="2"), RemoveMessage(id="2")],
    ),
    "remove all": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        [
            AIMessage("before", id="3"),
            RemoveMessage(id=REMOVE_ALL_MESSAGES),
            HumanMessage("after", id="4"),
            RemoveMessage(id="zz"),
        ],
    ),
    "remove all twice": lambda: (
        [HumanMessage("a", id="1")],
        [
            RemoveMessage(id=REMOVE_ALL_MESSAGES),
            AIMessage("mid"),
            RemoveMessage(id=REMOVE_ALL_MESSAGES),
            AIMessage("end"),
        ],
    ),
    "remove-message dict": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        [RemoveMessageDict("2")],
    ),
    "duplicate ids in left": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="1"), AIMessage("c", id="2")],
        [HumanMessage("new", id="1")],
    ),
    "duplicate ids removed": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="1"), AIMessage("c", id="2")],
        [RemoveMessage(id="1")],
    ),
    "duplicate ids in right": lambda: (
        [HumanMessage("a", id="1")],
        [AIMessage("x", id="2"), AIMessage("y", id="2"), AIMessage("z", id="2")],
    ),
    "many new": lambda: (
        [HumanMessage(str(i), id=str(i)) for i in range(20)],
        [AIMessage(f"n{i}", id=f"n{i}") for i in range(10)],
    ),
    "many with one replace": lambda: (
        [HumanMessage(str(i), id=str(i)) for i in range(20)],
        [AIMessage(f"n{i}", id=f"n{i}") for i in range(6)] + [AIMessage("r", id="3")],
    ),
    "empty right": lambda: ([HumanMessage("a", id="1")], []),
    "empty both": lambda: ([], []),
    "empty id kept": lambda: ([HumanMessage("a", id="")], [AIMessage("b", id="")]),
    "tool and function messages": lambda: (
        [SystemMessage("sys", id="s")],
        [
            ToolMessage("t", tool_call_id="c", artifact={"x": 1}, status="error"),
            FunctionMessage("f", name="fn"),
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_result_as_langgraph(case: str) -> None:
    ours = add_messages(*CASES[case]())
    theirs = lg_add(*CASES[case]())
    assert norm_lc(ours) == norm_lc(theirs)
    assert all(m.id is not None for m in ours)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_result_as_langgraph_when_chained(case: str) -> None:
    # The second call sees the first call's result, exercising the fast path.
    lab_ours, lab_theirs = Labeler(), Labeler()
    left, right = CASES[case]()
    ours = add_messages(add_messages([], left), right)
    left, right = CASES[case]()
    theirs = lg_add(lg_add([], left), right)
    assert norm_lc(ours, lab_ours) == norm_lc(theirs, lab_theirs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_openai_format_same_as_langgraph(case: str) -> None:
    ours = add_messages(format="langchain-openai")(*CASES[case]())
    theirs = lg_add(format="langchain-openai")(*CASES[case]())
    assert norm_lc(ours) == norm_lc(theirs)


def test_openai_format_reformats_content_blocks() -> None:
    image = {
        "role": "user",
        "content": [
            {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/jpeg", "data": "1"},
            },
        ],
    }
    ours = add_messages([], [image], format="langchain-openai")
    theirs = lg_add([], [image], format="langchain-openai")
    assert norm_lc(ours) == norm_lc(theirs)
    assert ours[0].content[1]["type"] == "image_url"


def test_assigns_ids_in_place_like_langgraph() -> None:
    left, right = HumanMessage("a"), AIMessage("b")
    result = add_messages([left], [right])
    assert UUID_RE.match(left.id or "")
    assert UUID_RE.match(right.id or "")
    assert result == [left, right]
    assert result[0] is left
    assert result[1] is right


def test_keeps_existing_ids_and_objects() -> None:
    left = [HumanMessage("a", id="1")]
    right = [AIMessage("b", id="2")]
    result = add_messages(left, right)
    assert result is not left
    assert result[0] is left[0]
    assert result[1] is right[0]
    assert left == [HumanMessage("a", id="1")]


def test_replacement_keeps_position() -> None:
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c")]
    new = AIMessage("B", id="2")
    result = add_messages(left, new)
    assert [m.content for m in result] == ["a", "B", "c"]
    assert result[1] is new


def test_chunks_become_messages() -> None:
    result = add_messages([], [AIMessageChunk("x", id="1")])
    assert type(result[0]) is AIMessage


ERROR_CASES: dict[str, Callable[[Callable[..., Any]], Any]] = {
    "unknown remove": lambda f: f([HumanMessage("a", id="1")], [RemoveMessage("2")]),
    "remove before add": lambda f: f(
        [], [RemoveMessage(id="2"), AIMessage("x", id="2")]
    ),
    "only left": lambda f: f([HumanMessage("a")], None),
    "only right": lambda f: f(None, [HumanMessage("a")]),
    "empty left only": lambda f: f([], None),
    "right keyword only": lambda f: f(right=[HumanMessage("a")]),
    "bad format": lambda f: f([], [HumanMessage("a")], format="xml"),
    "bad format partial": lambda f: f(format="xml")([], []),
    "bad role": lambda f: f([], [("robot", "beep")]),
    "bad dict": lambda f: f([], [{"role": "user"}]),
    "bad sequence": lambda f: f([], [("user", "a", "b")]),
    "bad object": lambda f: f([], [42]),
    "bad left object": lambda f: f([42], [("robot", "beep")]),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_match_langgraph(case: str) -> None:
    ours = outcome(lambda: ERROR_CASES[case](add_messages))
    theirs = outcome(lambda: ERROR_CASES[case](lg_add))
    assert ours[0] == theirs[0] == "error"
    assert ours[1] == theirs[1]


def test_unknown_remove_message_text() -> None:
    with pytest.raises(ValueError, match=r"^Attempting to delete a message with an ID"):
        add_messages([AIMessage("a", id="1")], [RemoveMessage(id="nope")])


def test_partial_is_a_two_argument_reducer() -> None:
    reducer = add_messages(format="langchain-openai")
    assert callable(reducer)
    assert reducer([], [HumanMessage("a")])[0].content == "a"
    plain = add_messages()
    assert plain([], "x")[0].content == "x"


# ---------------------------------------------------------------------------
# The known-results fast path must not change results


def test_mutated_result_lists_still_match_langgraph() -> None:
    lab_o, lab_t = Labeler(), Labeler()

    def steps(add: Callable[..., Any]) -> list[Any]:
        out = []
        state = add([], [HumanMessage("a", id="1"), AIMessage("b")])
        state.append(HumanMessage("appended", id="x"))  # in place, after return
        state = add(state, [AIMessage("c", id="x")])
        out.append(list(state))
        state[0] = HumanMessage("swapped", id="9")
        state = add(state, [RemoveMessage(id="9")])
        out.append(list(state))
        del state[0]
        state = add(list(state), [HumanMessage("d")])  # a copy
        out.append(list(state))
        old = state
        state = add(state, [AIMessage("e", id="e")])
        state = add(old, [AIMessage("f", id="e")])  # an older result again
        out.append(list(state))
        state[len(state) // 2] = AIMessage("middle", id="mid")
        state = add(state, [RemoveMessage(id="mid")])
        out.append(list(state))
        state.sort(key=lambda m: str(m.content))
        state = add(state, [AIMessage("g", id="x")])
        out.append(list(state))
        state.clear()
        out.append(add(state, [AIMessage("h")]))
        return out

    ours, theirs = steps(add_messages), steps(lg_add)
    assert [norm_lc(s, lab_o) for s in ours] == [norm_lc(s, lab_t) for s in theirs]


def test_equal_but_distinct_messages_in_a_copy() -> None:
    state = add_messages([], [HumanMessage("a", id="1"), AIMessage("b", id="2")])
    twin = [m.model_copy() for m in state]
    assert twin == state
    result = add_messages(twin, [AIMessage("B", id="2")])
    assert [m.content for m in result] == ["a", "B"]


def _chain(add: Callable[..., Any], tag: str) -> list[Any]:
    state: list[Any] = []
    for i in range(200):
        state = add(state, [AIMessage(f"{tag}{i}", id=f"{tag}{i}")])
        if i % 7 == 0:
            state = add(state, [AIMessage("r", id=f"{tag}{i // 2}")])
        if i % 11 == 0:
            state = add(state, RemoveMessage(id=f"{tag}{i}"))
    return [(m.id, m.content) for m in state]


def test_concurrent_chains() -> None:
    results: dict[str, Any] = {}

    def run(tag: str) -> None:
        try:
            results[tag] = _chain(add_messages, tag)
        except BaseException as e:  # pragma: no cover - reported below
            results[tag] = e

    threads = [threading.Thread(target=run, args=(t,)) for t in "abcdef"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {tag: _chain(lg_add, tag) for tag in "abcdef"}


# ---------------------------------------------------------------------------
# Hypothesis: random operation sequences, ours vs LangGraph

NEW_FORMS_LC = ("obj", "dict", "tuple", "str", "chunk")
NEW_FORMS_DICT = ("dict", "tuple", "str", "typed")
POOL = ("p0", "p1", "p2")


def _op(kind: int, n: int, ai: bool, pool: str) -> tuple[Any, ...]:
    # kind is a percentile, so new messages dominate and resets stay rare.
    if kind < 45:
        return ("new", n % 5, ai)
    if kind < 65:
        return ("replace", n, ai)
    if kind < 77:
        return ("remove", n)
    if kind < 87:
        return ("pool", pool, ai)
    if kind < 93:
        return ("remove_pool", pool)
    if kind < 97:
        return ("remove_unknown",)
    return ("remove_all",)


op_st = st.builds(
    _op,
    st.integers(0, 99),
    st.integers(0, 50),
    st.booleans(),
    st.sampled_from(POOL),
)
step_st = st.tuples(
    st.lists(op_st, max_size=5),
    st.booleans(),  # pass a single op unwrapped
    st.sampled_from(("none", "copy", "append", "pop", "setitem", "setmid")),
)
run_st = st.lists(step_st, min_size=1, max_size=20)


class Builder:
    """Builds the inputs of one run for one implementation and world."""

    def __init__(self, world: str) -> None:
        self.world = world
        self.counter = 0

    def content(self) -> str:
        self.counter += 1
        return f"c{self.counter}"

    def msg_id(self, m: Any) -> Any:
        return m["id"] if isinstance(m, dict) else m.id

    def message(self, form_idx: int, mid: str | None, ai: bool) -> Any:
        text = self.content()
        forms = NEW_FORMS_LC if self.world == "lc" else NEW_FORMS_DICT
        form = forms[form_idx % len(forms)]
        if mid is not None and form in ("tuple", "str"):
            form = "dict"
        if form == "obj":
            cls = AIMessage if ai else HumanMessage
            return cls(text, id=mid)
        if form == "chunk":
            return AIMessageChunk(text, id=mid)
        if form == "tuple":
            return ("ai" if ai else "human", text)
        if form == "str":
            return text
        if form == "typed":
            d: dict[str, Any] = {"type": "ai" if ai else "human", "content": text}
        else:
            d = {"role": "assistant" if ai else "user", "content": text}
        if mid is not None:
            d["id"] = mid
        return d

    def remove(self, mid: Any) -> Any:
        if self.world == "lc" and self.counter % 2:
            self.counter += 1
            return RemoveMessage(id=mid)
        self.counter += 1
        return RemoveMessageDict(mid)

    def op(self, op: tuple[Any, ...], state: list[Any]) -> Any:
        kind = op[0]
        if kind == "new":
            return self.message(op[1], None, op[2])
        if kind == "replace" and state:
            return self.message(op[1], self.msg_id(state[op[1] % len(state)]), op[2])
        if kind == "remove" and state:
            return self.remove(self.msg_id(state[op[1] % len(state)]))
        if kind == "pool":
            return self.message(self.counter, op[1], op[2])
        if kind == "remove_pool":
            return self.remove(op[1])
        if kind == "remove_unknown":
            return self.remove("unknown")
        if kind == "remove_all":
            return self.remove(REMOVE_ALL_MESSAGES)
        return self.message(0, None, True)

    def mutate(self, how: str, state: list[Any]) -> list[Any]:
        if how == "copy":
            return list(state)
        if how == "append":
            state.append(self.message(0, f"m{self.counter}", False))
        elif how == "pop" and state:
            state.pop(0)
        elif how == "setitem" and state:
            state[-1] = self.message(0, f"s{self.counter}", True)
        elif how == "setmid" and state:
            state[len(state) // 2] = self.message(0, f"s{self.counter}", True)
        return state


def play(
    add: Callable[..., Any],
    run: list[Any],
    world: str,
    brief: Callable[[list[Any], Labeler], list[Any]],
) -> list[Any]:
    builder, lab = Builder(world), Labeler()
    state: list[Any] = []
    trace: list[Any] = []
    for ops, unwrap, how in run:
        right: Any = [builder.op(op, state) for op in ops]
        if unwrap and len(right) == 1:
            right = right[0]
        kind, value = outcome(lambda s=state, r=right: add(s, r))
        if kind == "ok":
            trace.append(("ok", brief(value, lab)))
            state = builder.mutate(how, value)
        else:
            trace.append(value)
    return trace


HYPO = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def full_lc(msgs: list[Any], lab: Labeler) -> list[Any]:
    return norm_lc(msgs, lab)


@HYPO
@given(run_st)
def test_random_runs_match_langgraph(run: list[Any]) -> None:
    ours = play(add_messages, run, "lc", full_lc)
    theirs = play(lg_add, run, "lc", full_lc)
    assert ours == theirs


@HYPO
@given(run_st)
def test_random_runs_in_dict_world_match_langgraph(run: list[Any]) -> None:
    theirs = play(lg_add, run, "dict", brief_lc)
    _messages._FORCE_DICTS = True
    try:
        ours = play(add_messages, run, "dict", brief_dicts)
    finally:
        _messages._FORCE_DICTS = False
    assert ours == theirs


# ---------------------------------------------------------------------------
# Dict world


@pytest.mark.usefixtures("dict_world")
class TestDictWorld:
    def test_shape_and_roles(self) -> None:
        result = add_messages(
            [("human", "a")],
            [
                "b",
                ("ai", "c"),
                ("assistant", "d"),
                ("user", "e"),
                ("system", "f"),
                ("developer", "g"),
                ("tool", "h"),
                ("function", "i"),
                {"type": "ai", "content": "j"},
                {"type": "human", "content": "k", "name": "bob"},
            ],
        )
        assert [(m["role"], m["content"]) for m in result] == [
            ("user", "a"),
            ("user", "b"),
            ("assistant", "c"),
            ("assistant", "d"),
            ("user", "e"),
            ("system", "f"),
            ("developer", "g"),
            ("tool", "h"),
            ("function", "i"),
            ("assistant", "j"),
            ("user", "k"),
        ]
        assert all(type(m) is dict and UUID_RE.match(m["id"]) for m in result)
        assert result[-1] == {
            "role": "user",
            "content": "k",
            "name": "bob",
            "id": result[-1]["id"],
        }
        assert len({m["id"] for m in result}) == len(result)

    def test_extra_keys_are_kept(self) -> None:
        call = {"id": "c1", "name": "f", "args": {}, "type": "tool_call"}
        result = add_messages(
            [],
            [
                {"role": "assistant", "content": "", "tool_calls": [call], "id": "1"},
                {"role": "tool", "content": "r", "tool_call_id": "c1", "id": "2"},
            ],
        )
        assert result == [
            {"role": "assistant", "content": "", "tool_calls": [call], "id": "1"},
            {"role": "tool", "content": "r", "tool_call_id": "c1", "id": "2"},
        ]

    def test_stored_dicts_are_reused_and_inputs_not_mutated(self) -> None:
        stored = {"role": "user", "content": "a", "id": "1"}
        raw = {"role": "human", "content": "b"}
        raw_copy = copy.deepcopy(raw)
        result = add_messages([stored], [raw])
        assert result[0] is stored
        assert raw == raw_copy
        assert result[1]["role"] == "user"
        assert result[1] is not raw

    def test_none_content_becomes_empty(self) -> None:
        result = add_messages([], [{"role": "assistant", "content": None, "id": "1"}])
        assert result == [{"role": "assistant", "content": "", "id": "1"}]

    def test_replace_and_remove(self) -> None:
        left = [
            {"role": "user", "content": "a", "id": "1"},
            {"role": "assistant", "content": "b", "id": "2"},
            {"role": "user", "content": "c", "id": "3"},
        ]
        result = add_messages(
            left,
            [
                {"role": "assistant", "content": "B", "id": "2"},
                RemoveMessageDict("1"),
                {"type": "remove", "id": "3"},
            ],
        )
        assert result == [{"role": "assistant", "content": "B", "id": "2"}]

    def test_remove_all(self) -> None:
        left = [{"role": "user", "content": "a", "id": "1"}]
        result = add_messages(
            left, [RemoveMessageDict(REMOVE_ALL_MESSAGES), ("ai", "fresh")]
        )
        assert [(m["role"], m["content"]) for m in result] == [("assistant", "fresh")]

    def test_remove_message_dict_shape(self) -> None:
        marker = RemoveMessageDict("x")
        assert marker == {"role": "remove", "content": "", "id": "x"}
        assert isinstance(marker, dict)

    def test_lc_envelope(self) -> None:
        envelope = {
            "lc": 1,
            "type": "constructor",
            "id": ["langchain", "schema", "messages", "HumanMessage"],
            "kwargs": {"content": "hey", "id": "h"},
        }
        assert add_messages([], [envelope]) == [
            {"role": "user", "content": "hey", "id": "h"}
        ]

    def test_errors(self) -> None:
        with pytest.raises(ValueError, match="doesn't exist \\('9'\\)"):
            add_messages([("user", "a")], [RemoveMessageDict("9")])
        with pytest.raises(ValueError, match=r"^Unexpected message type: 'robot'"):
            add_messages([], [("robot", "x")])
        with pytest.raises(ValueError, match="must contain 'role' and 'content'"):
            add_messages([], [{"role": "user"}])
        with pytest.raises(ValueError, match="needs an id"):
            add_messages([], [{"type": "remove"}])
        with pytest.raises(NotImplementedError, match="sequence must be"):
            add_messages([], [("user", "a", "b")])
        with pytest.raises(NotImplementedError, match="Unsupported message type"):
            add_messages([], [42])
        with pytest.raises(NotImplementedError, match="Unsupported message type"):
            add_messages([], [HumanMessage("object in dict world")])
        with pytest.raises(ValueError, match="Unrecognized format='xml'"):
            add_messages([], [], format="xml")  # type: ignore[arg-type]
        with pytest.raises(ImportError, match="requires langchain-core"):
            add_messages([], ["a"], format="langchain-openai")

    def test_error_texts_match_langgraph(self) -> None:
        for case in ("unknown remove", "only left", "empty left only", "bad format"):
            theirs = outcome(lambda c=case: ERROR_CASES[c](lg_add))[1]
            ours = outcome(lambda c=case: ERROR_CASES[c](_dict_args(add_messages)))[1]
            assert ours == theirs, case

    def test_module_names(self) -> None:
        assert sg_message.RemoveMessage is RemoveMessageDict  # type: ignore[attr-defined]
        assert sg_message.AnyMessage is Any  # type: ignore[attr-defined]
        with pytest.raises(AttributeError, match="needs langchain-core"):
            sg_message.BaseMessage  # type: ignore[attr-defined]  # noqa: B018

    def test_chained_results_match_unchained(self) -> None:
        state: list[Any] = []
        for i in range(30):
            state = add_messages(state, [("ai", f"m{i}")])
            if i % 4 == 0:
                victim = state[i // 2]["id"]
                state = add_messages(
                    state, [{"role": "user", "content": "r", "id": victim}]
                )
        fresh = add_messages([dict(m) for m in state], [])
        assert fresh == state

    def test_push_message(self) -> None:
        writes: list[Any] = []
        token = var_child_config.set({CONF: {CONFIG_KEY_SEND: writes.extend}})  # type: ignore[misc]
        try:
            pushed = push_message({"type": "ai", "content": "x", "id": "7"})
            assert pushed == {"role": "assistant", "content": "x", "id": "7"}
            assert writes == [("messages", pushed)]
            with pytest.raises(ValueError, match="Message ID is required"):
                push_message(("ai", "no id"))
        finally:
            var_child_config.reset(token)


def _dict_args(add: Callable[..., Any]) -> Callable[..., Any]:
    """Map the LangChain inputs of ERROR_CASES to dict-world inputs."""

    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, RemoveMessage):
            return RemoveMessageDict(value.id)  # type: ignore[arg-type]
        if isinstance(value, BaseMessage):
            return {"type": value.type, "content": value.content, "id": value.id}
        return value

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return add(*(convert(a) for a in args), **kwargs)

    return wrapped


# ---------------------------------------------------------------------------
# Module surface


def test_all_matches_langgraph() -> None:
    assert set(sg_message.__all__) == set(lg_message.__all__)
    assert REMOVE_ALL_MESSAGES == lg_message.REMOVE_ALL_MESSAGES == "__remove_all__"


def test_langchain_names_resolve_lazily() -> None:
    for name in (
        "RemoveMessage",
        "AnyMessage",
        "BaseMessage",
        "BaseMessageChunk",
        "MessageLikeRepresentation",
        "convert_to_messages",
        "message_chunk_to_message",
    ):
        assert getattr(sg_message, name) is getattr(lg_message, name), name
    with pytest.raises(AttributeError):
        sg_message.nothing_here  # type: ignore[attr-defined]  # noqa: B018


def test_messages_state_hints_resolve() -> None:
    hints = typing.get_type_hints(MessagesState, include_extras=True)
    assert set(hints) == {"messages"}
    hint = hints["messages"]
    assert typing.get_origin(hint) is typing.Annotated
    assert hint.__metadata__ == (add_messages,)
    assert typing.get_args(hint)[0] == list[Any]
    assert MessagesState.__required_keys__ == frozenset({"messages"})


def test_messages_state_reducer_in_typed_dict() -> None:
    class State(MessagesState):
        extra: int

    hints = typing.get_type_hints(State, include_extras=True)
    assert hints["messages"].__metadata__[0] is add_messages


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_import_does_not_load_langchain() -> None:
    out = _run(
        """
        import sys, typing
        import stategraph.graph.message as m
        typing.get_type_hints(m.MessagesState, include_extras=True)
        print("langchain_core" in sys.modules)
        """
    )
    assert out.split() == ["False"]


def test_without_langchain_installed() -> None:
    out = _run(
        """
        import sys
        sys.modules["langchain_core"] = None  # as if not installed
        from stategraph.graph.message import add_messages, RemoveMessage
        ai = {"role": "ai", "content": "b", "id": "2"}
        result = add_messages([("human", "a")], ai)
        print([(m["role"], m["content"]) for m in result], result[1]["id"])
        print(RemoveMessage.__name__)
        print(add_messages(result, RemoveMessage("2"))[0]["content"])
        try:
            add_messages([], [], format="langchain-openai")
        except ImportError as e:
            print("ImportError", "langchain-core" in str(e))
        """
    )
    assert out.splitlines() == [
        "[('user', 'a'), ('assistant', 'b')] 2",
        "RemoveMessageDict",
        "a",
        "ImportError True",
    ]


# ---------------------------------------------------------------------------
# push_message


@pytest.fixture
def task_writes() -> Iterator[list[Any]]:
    writes: list[Any] = []
    token = var_child_config.set(
        {"callbacks": None, "metadata": {}, CONF: {CONFIG_KEY_SEND: writes.extend}}  # type: ignore[misc]
    )
    yield writes
    var_child_config.reset(token)


def test_push_message_writes_to_state_key(task_writes: list[Any]) -> None:
    pushed = push_message({"role": "assistant", "content": "hi", "id": "1"})
    assert isinstance(pushed, AIMessage)
    assert pushed.id == "1"
    assert task_writes == [("messages", pushed)]
    msg = HumanMessage("x", id="2")
    assert push_message(msg, state_key="other") is msg
    assert task_writes[-1] == ("other", msg)


def test_push_message_without_state_key(task_writes: list[Any]) -> None:
    push_message(AIMessage("x", id="1"), state_key=None)
    assert task_writes == []


def test_push_message_requires_id(task_writes: list[Any]) -> None:
    with pytest.raises(ValueError, match=r"^Message ID is required$"):
        push_message(("ai", "no id"))
    assert task_writes == []


def test_push_message_keeps_chunks_like_langgraph(task_writes: list[Any]) -> None:
    chunk = AIMessageChunk("x", id="1")
    assert push_message(chunk) is chunk


def test_push_message_outside_a_run() -> None:
    with pytest.raises(RuntimeError, match="outside of a runnable context"):
        push_message(AIMessage("x", id="1"))


# ---------------------------------------------------------------------------
# MessageGraph (needs the graph builder)


def test_message_graph_is_a_deprecated_state_graph() -> None:
    from stategraph.graph._builder import StateGraph

    cls = sg_message.MessageGraph  # type: ignore[attr-defined]
    assert issubclass(cls, StateGraph)
    assert cls is sg_message.MessageGraph  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match="MessageGraph is deprecated"):
        cls()
