"""The server the JS SDK tests call: the chat and agent graphs of the other
server tests, and a chat graph whose model types its reply word by word, held
after the first word until a gate opens, so a client sees the reply mid-stream.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from _server_graphs import GATES, agent, talker
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from stategraph.graph import START, MessagesState, StateGraph
from stategraph.server import create_app

REPLY = "Hello big world"


class TypingModel(BaseChatModel):
    """Streams ``REPLY``; after its first token it waits for ``gate``, once
    (a regenerated reply, from the same input, goes straight through)."""

    gate: str = ""

    @property
    def _llm_type(self) -> str:
        return "typing"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(REPLY))])

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for index, token in enumerate(re.split(r"(\s)", REPLY)):
            gate = GATES.get(self.gate)
            if index == 1 and gate is not None and not gate.entered.is_set():
                await gate.wait()
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))


class TypingState(MessagesState, total=False):
    gate: str


async def typing(state: TypingState) -> dict[str, Any]:
    model = TypingModel(gate=state.get("gate", ""))
    return {"messages": [await model.ainvoke(state["messages"])], "gate": ""}


def build_typist() -> Any:
    builder: StateGraph[TypingState] = StateGraph(TypingState)
    builder.add_node("typing", typing)
    builder.add_edge(START, "typing")
    return builder.compile()


typist = build_typist()


def serve_graphs() -> Iterator[str]:
    """Serve ``agent``, ``talk`` and ``typist`` on a free port until closed.

    The socket listens before uvicorn starts, so clients connect at once.
    """
    app = create_app({"agent": agent, "talk": talker, "typist": typist})
    # IPPROTO_TCP named, so asyncio sets TCP_NODELAY (else ~40 ms per response).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert not thread.is_alive(), "the test server did not stop"
