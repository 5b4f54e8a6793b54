"""A live server per test module (uvicorn in a thread) and SDK clients for it.

The socket listens before uvicorn starts, so clients can connect at once: no
waiting for start-up. ``api`` runs each test with the SDK's sync and async
clients through one awaitable interface.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from _server_graphs import GATES, Gate, agent, make_who_graph, memo, talker
from langgraph_sdk import get_client, get_sync_client

from stategraph.server import create_app


def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free port until the generator is closed."""
    # IPPROTO_TCP named, so asyncio sets TCP_NODELAY (else ~40 ms per response).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert not thread.is_alive(), "the test server did not stop"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    graphs = {"agent": agent, "who": make_who_graph, "talk": talker, "memo": memo}
    yield from serve(create_app(graphs))


class Api:
    """The SDK client in sync or async mode, called the same way by tests."""

    def __init__(self, mode: str, url: str) -> None:
        self.mode = mode
        self.url = url
        self.sync = get_sync_client(url=url, api_key=None)
        self.aio = get_client(url=url, api_key=None)

    async def __call__(self, path: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``client.<path>(*args, **kwargs)``; streams come back as lists."""
        group, method = path.split(".")
        if self.mode == "sync":
            func = getattr(getattr(self.sync, group), method)

            def call() -> Any:
                result = func(*args, **kwargs)
                return list(result) if inspect.isgenerator(result) else result

            return await asyncio.to_thread(call)
        result = getattr(getattr(self.aio, group), method)(*args, **kwargs)
        if inspect.isasyncgen(result) or hasattr(result, "__aiter__"):
            return [part async for part in result]
        return await result

    async def aclose(self) -> None:
        self.sync.http.client.close()
        await self.aio.http.client.aclose()


@pytest_asyncio.fixture(params=["sync", "async"])
async def api(request: pytest.FixtureRequest, url: str) -> AsyncIterator[Api]:
    client = Api(request.param, url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def gate() -> Iterator[tuple[str, Gate]]:
    """A fresh gate the ``hold`` node waits on when the input names it."""
    name = uuid.uuid4().hex
    GATES[name] = Gate()
    try:
        yield name, GATES[name]
    finally:
        held = GATES.pop(name)
        if held.entered.is_set():
            held.release()


HI = {"messages": [{"role": "user", "content": "hi"}]}
