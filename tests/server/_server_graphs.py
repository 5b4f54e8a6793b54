"""Graphs the server tests serve: chat with a subgraph, interrupts, gates, errors."""

from __future__ import annotations

import asyncio
import operator
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from typing_extensions import TypedDict

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.config import get_config, get_stream_writer
from stategraph.graph import END, START, MessagesState, StateGraph
from stategraph.runtime import Runtime
from stategraph.types import interrupt


class Gate:
    """Holds a node until the test releases it (the server runs in another thread)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    async def wait(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self.entered.set()
        await self._event.wait()

    def release(self) -> None:
        assert self.entered.wait(30), "the gated node never started"
        assert self._loop is not None
        assert self._event is not None
        if not self._loop.is_closed():  # its server may be gone already
            self._loop.call_soon_threadsafe(self._event.set)


GATES: dict[str, Gate] = {}


class AgentState(MessagesState, total=False):
    need_review: bool
    fail: bool
    fail_slowly: bool
    gate: str
    log: Annotated[list[str], operator.add]


async def hold(state: AgentState) -> dict[str, Any]:
    gate = state.get("gate")
    if gate:
        await GATES[gate].wait()
    return {"gate": ""}


def chat(state: AgentState) -> dict[str, Any]:
    if state.get("fail"):
        raise ValueError("boom")
    if state.get("fail_slowly"):
        raise TimeoutError("the backend is slow")
    get_stream_writer()({"progress": 1})
    count = len(state["messages"])
    return {"messages": [AIMessage("Hello", id=f"ai-{count}")], "log": ["chat"]}


class SubState(MessagesState):
    pass


def inner(state: SubState) -> dict[str, Any]:
    get_stream_writer()({"inner": True})
    return {"messages": [AIMessage("from inner", id="inner-1")]}


def review(state: AgentState) -> dict[str, Any]:
    if not state.get("need_review"):
        return {}
    answer = interrupt({"question": "ok?"})
    return {"log": [f"review:{answer}"], "need_review": False}


def _subgraph() -> Any:
    builder = StateGraph(SubState)
    builder.add_node("inner", inner)
    builder.add_edge(START, "inner")
    builder.add_edge("inner", END)
    return builder.compile()


def build_agent() -> Any:
    builder = StateGraph(AgentState)
    builder.add_node("hold", hold)
    builder.add_node("chat", chat)
    builder.add_node("sub", _subgraph())
    builder.add_node("review", review)
    builder.add_edge(START, "hold")
    builder.add_edge("hold", "chat")
    builder.add_edge("chat", "sub")
    builder.add_edge("sub", "review")
    builder.add_edge("review", END)
    return builder.compile()


agent = build_agent()


@dataclass
class Who:
    user: str = "anon"


class WhoState(TypedDict, total=False):
    seen: str
    model: str


FACTORY_CALLS: list[dict[str, Any]] = []


def make_who_graph(config: dict[str, Any]) -> Any:
    """A graph factory: the server calls it with each run's config."""
    FACTORY_CALLS.append(config)

    def whoami(state: WhoState, runtime: Runtime[Who]) -> dict[str, Any]:
        model = get_config()["configurable"].get("model", "")
        return {"seen": runtime.context.user, "model": model}

    builder = StateGraph(WhoState, context_schema=Who)
    builder.add_node("whoami", whoami)
    builder.add_edge(START, "whoami")
    return builder


def talk(state: MessagesState) -> dict[str, Any]:
    """Calls a chat model that streams its reply token by token."""
    model = GenericFakeChatModel(messages=iter([AIMessage("Hello big world")]))
    return {"messages": [model.invoke(state["messages"])]}


def build_talk() -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("talk", talk)
    builder.add_edge(START, "talk")
    return builder.compile()


talker = build_talk()


SAVERS: list[Any] = []
CLOSED: list[Any] = []


@asynccontextmanager
async def make_saver() -> AsyncIterator[Any]:
    """A checkpointer for ``langgraph.json``'s ``checkpointer.path``."""
    saver = InMemorySaver()
    SAVERS.append(saver)
    yield saver
    CLOSED.append(saver)


class MemoState(TypedDict, total=False):
    user: str
    note: str
    recalled: list[str]


async def remember(state: MemoState, runtime: Runtime[None]) -> dict[str, Any]:
    """Writes the note to the server's store, then reads back every note."""
    assert runtime.store is not None, "the server gives graphs its store"
    namespace = ("notes", state["user"])
    await runtime.store.aput(
        namespace, f"n{len(state['note'])}", {"text": state["note"]}
    )
    found = await runtime.store.asearch(namespace)
    return {"recalled": [item.value["text"] for item in found]}


def build_memo() -> Any:
    builder = StateGraph(MemoState)
    builder.add_node("remember", remember)
    builder.add_edge(START, "remember")
    return builder.compile()


memo = build_memo()
