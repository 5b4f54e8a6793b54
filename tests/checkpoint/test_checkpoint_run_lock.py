"""The run lock: one process at a time runs a thread (SQLite and PostgreSQL).

A child process starts a run whose first node blocks until the parent lets
it go, so the parent knows the child holds the thread. Then a second run on
that thread, in another process (a second child or the test process):

- with ``thread_lock="wait"`` starts only once the first ends, and the two
  runs' checkpoints form one chain, the first run's then the second's;
- with ``"raise"`` fails at once with ``ThreadBusyError``;
- with ``"off"`` runs at once, as LangGraph does (the history forks).

A SIGKILLed holder does not block the next run, and runs of one process
on one thread (two interleaved streams) never wait for each other.

The children import this very file (see ``child_main``).
"""

from __future__ import annotations

import asyncio
import operator
import os
import select
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from stategraph.errors import ThreadBusyError
from stategraph.graph import END, START, StateGraph

TIMEOUT = 60.0
AUTOCOMMIT = {"autocommit": True}


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def build(name: str, marker_fd: int = -1, hold_fd: int = -1) -> Any:
    """Two nodes; the first reports ``<name>:start`` and may block on ``hold_fd``."""

    def one(state: State) -> State:
        if marker_fd >= 0:
            os.write(marker_fd, f"{name}:start\n".encode())
        if hold_fd >= 0:
            os.read(hold_fd, 1)  # until the parent writes or exits
        return {"log": [f"{name}:one"]}

    def two(state: State) -> State:
        return {"log": [f"{name}:two"]}

    builder: StateGraph[Any] = StateGraph(State)
    builder.add_node("one", one)
    builder.add_node("two", two)
    builder.add_edge(START, "one")
    builder.add_edge("one", "two")
    builder.add_edge("two", END)
    return builder


@contextmanager
def open_saver(backend: str, target: str, **options: Any) -> Iterator[Any]:
    if backend == "sqlite":
        from stategraph.checkpoint.sqlite import SqliteSaver

        with SqliteSaver.from_conn_string(target, **options) as saver:
            yield saver
    else:
        from stategraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(target, **options) as saver:
            yield saver


@asynccontextmanager
async def open_async_saver(backend: str, target: str, **options: Any) -> Any:
    if backend == "sqlite":
        from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(target, **options) as saver:
            yield saver
    else:
        from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(target, **options) as saver:
            yield saver


def run(backend: str, target: str, api: str, name: str, mode: str, **kw: Any) -> Any:
    """Invoke the graph once on thread ``t`` (sync or async API)."""
    config = {"configurable": {"thread_id": "t"}}
    graph_input = kw.pop("graph_input", {"log": []})
    durability = {"durability": kw.pop("durability")} if "durability" in kw else {}
    marker_fd = kw.pop("marker_fd", -1)
    builder = build(name, marker_fd, kw.pop("hold_fd", -1))

    def ready() -> None:  # the run is about to start
        if marker_fd >= 0:
            os.write(marker_fd, f"{name}:ready\n".encode())

    if api == "sync":
        with open_saver(backend, target, thread_lock=mode, **kw) as saver:
            graph = builder.compile(checkpointer=saver)
            ready()
            return graph.invoke(graph_input, config, **durability)

    async def main() -> Any:
        async with open_async_saver(backend, target, thread_lock=mode, **kw) as saver:
            graph = builder.compile(checkpointer=saver)
            ready()
            return await graph.ainvoke(graph_input, config, **durability)

    return asyncio.run(main())


def child_main(argv: list[str]) -> None:
    """One run in a child: ``ready`` before it, ``done`` or ``busy`` after."""
    backend, target, api, name, mode, marker, hold, *durability = argv
    marker_fd, hold_fd = int(marker), int(hold)
    kw = {"durability": durability[0]} if durability else {}
    try:
        run(
            backend, target, api, name, mode, marker_fd=marker_fd, hold_fd=hold_fd, **kw
        )
    except ThreadBusyError as e:
        os.write(marker_fd, f"{name}:busy {e}\n".encode())
        return
    os.write(marker_fd, f"{name}:done\n".encode())


CHILD = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('sg_lock_child', sys.argv[1])\n"
    "module = sys.modules['sg_lock_child'] = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)\n"
    "module.child_main(sys.argv[2:])\n"
)


class Child:
    """A child process running one graph run, and its marker pipe."""

    def __init__(
        self,
        backend: str,
        target: str,
        api: str,
        name: str,
        mode: str,
        hold: bool,
        *durability: str,
    ) -> None:
        self.markers, marker_w = os.pipe()
        hold_r, self.hold_w = os.pipe() if hold else (-1, -1)
        fds = (marker_w, hold_r) if hold else (marker_w,)
        args = [backend, target, api, name, mode, str(marker_w), str(hold_r)]
        args += durability
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, __file__, *args], pass_fds=fds
        )
        os.close(marker_w)
        if hold:
            os.close(hold_r)
        self.pending = b""

    def next_marker(self, timeout: float = TIMEOUT) -> str | None:
        """The next marker line, or ``None`` if none comes within ``timeout``."""
        while b"\n" not in self.pending:
            ready, _, _ = select.select([self.markers], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self.markers, 4096)
            if not chunk:
                self.proc.wait(TIMEOUT)
                return f"exit {self.proc.returncode}"
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def release(self) -> None:
        os.write(self.hold_w, b"x")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(TIMEOUT)
        os.close(self.markers)
        if self.hold_w >= 0:
            os.close(self.hold_w)


@pytest.fixture
def children() -> Iterator[Callable[..., Child]]:
    made: list[Child] = []

    def start(*args: Any) -> Child:
        made.append(Child(*args))
        return made[-1]

    yield start
    for child in made:
        child.close()


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "lock.db")
    dsn: str = request.getfixturevalue("schemas")()
    with open_saver("postgres", dsn) as saver:
        saver.setup()
    return "postgres", dsn


def holder(
    children: Callable[..., Child], backend: str, where: str, api: str, *durability: str
) -> Child:
    """A child that holds thread ``t``: its first node is blocked."""
    first = children(backend, where, api, "A", "wait", True, *durability)
    assert first.next_marker() == "A:ready"
    assert first.next_marker() == "A:start"
    return first


def history(backend: str, where: str) -> list[Any]:
    with open_saver(backend, where) as saver:
        graph = build("reader").compile(checkpointer=saver)
        return list(graph.get_state_history({"configurable": {"thread_id": "t"}}))


def is_one_chain(snapshots: list[Any]) -> bool:
    ids = [s.config["configurable"]["checkpoint_id"] for s in snapshots]
    parents = [
        s.parent_config["configurable"]["checkpoint_id"] if s.parent_config else None
        for s in snapshots
    ]
    return parents == [*ids[1:], None]


@pytest.mark.parametrize("api", ["sync", "async"])
def test_wait_runs_after_the_holder_in_one_chain(
    api: str, target: tuple[str, str], children: Callable[..., Child]
) -> None:
    backend, where = target
    first = holder(children, backend, where, api)
    second = children(backend, where, api, "B", "wait", False)
    assert second.next_marker() == "B:ready"
    # B waits: it does not start while A holds the thread (0.5 s of silence).
    assert second.next_marker(timeout=0.5) is None
    first.release()
    assert first.next_marker() == "A:done"
    assert second.next_marker() == "B:start"
    assert second.next_marker() == "B:done"
    snapshots = history(backend, where)
    assert is_one_chain(snapshots)
    assert snapshots[0].values["log"] == ["A:one", "A:two", "B:one", "B:two"]


@pytest.mark.parametrize("api", ["sync", "async"])
def test_raise_fails_at_once_with_a_clear_error(
    api: str, target: tuple[str, str], children: Callable[..., Child]
) -> None:
    backend, where = target
    first = holder(children, backend, where, api)
    with pytest.raises(
        ThreadBusyError,
        match=r"^thread 't' is being run by another process \((lock file|advisory"
        r" lock) .*\)\. Retry when that run ends, pass thread_lock='wait' to the "
        r"saver to wait for it, or use another thread_id\.$",
    ):
        run(backend, where, api, "B", "raise")
    # A wait with a timeout gives up with the same error.
    with pytest.raises(ThreadBusyError, match=r"; waited for 0\.2 s without getting"):
        run(backend, where, api, "B", "wait", thread_lock_timeout=0.2)
    first.release()
    assert first.next_marker() == "A:done"
    assert history(backend, where)[0].values["log"] == ["A:one", "A:two"]


@pytest.mark.parametrize("api", ["sync", "async"])
def test_off_runs_at_once_as_langgraph_does(
    api: str, target: tuple[str, str], children: Callable[..., Child]
) -> None:
    backend, where = target
    first = holder(children, backend, where, api)
    out = run(backend, where, api, "B", "off")
    assert out["log"] == ["B:one", "B:two"]  # ran while A held the thread
    first.release()
    assert first.next_marker() == "A:done"
    assert not is_one_chain(history(backend, where))  # the history forked


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_killed_holder_does_not_block_the_next_run(
    api: str, target: tuple[str, str], children: Callable[..., Child]
) -> None:
    backend, where = target
    # Its input must be stored before node one blocks: with async durability
    # (the default) a step may still be on its way when the process dies.
    first = holder(children, backend, where, api, "sync")
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(TIMEOUT)
    # The server drops a killed client's session (and its lock) as soon as it
    # sees the socket close; a short bounded wait covers that, not a TTL.
    out = run(
        backend, where, api, "B", "wait", thread_lock_timeout=10, graph_input=None
    )
    assert out["log"] == ["B:one", "B:two"]  # node one runs again, in B
    snapshots = history(backend, where)
    assert is_one_chain(snapshots), [
        (s.metadata, s.config, s.parent_config) for s in snapshots
    ]


@pytest.mark.parametrize("mode", ["wait", "raise"])
def test_interleaved_streams_of_one_process_share_the_lock(
    mode: str, target: tuple[str, str], driver: Any
) -> None:
    backend, where = target
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    if driver.mode == "sync":
        with open_saver(backend, where, thread_lock=mode) as saver:
            graph = build("S").compile(checkpointer=saver)
            first = graph.stream({"log": ["x"]}, config)
            second = graph.stream({"log": ["y"]}, config)
            chunks = [next(first), next(second), *first, *second]
            final = graph.get_state(config).values
    else:

        async def main() -> tuple[list[Any], Any]:
            async with open_async_saver(backend, where, thread_lock=mode) as saver:
                graph = build("S").compile(checkpointer=saver)
                first = graph.astream({"log": ["x"]}, config)
                second = graph.astream({"log": ["y"]}, config)
                got = [await anext(first), await anext(second)]
                got += [c async for c in first] + [c async for c in second]
                return got, (await graph.aget_state(config)).values

        chunks, final = asyncio.run(main())
    assert len(chunks) == 4
    assert final["log"][-2:] == ["S:one", "S:two"]


def test_options_are_validated_and_memory_databases_take_no_lock(
    tmp_path: Path,
) -> None:
    from stategraph.checkpoint.sqlite import SqliteSaver

    bad: Any = "never"
    with (
        pytest.raises(ValueError, match=r"^thread_lock must be 'wait'"),
        SqliteSaver.from_conn_string(":memory:", thread_lock=bad),
    ):
        pass
    with (
        pytest.raises(ValueError, match=r"^thread_lock_timeout must be"),
        SqliteSaver.from_conn_string(":memory:", thread_lock_timeout=-1),
    ):
        pass
    with SqliteSaver.from_conn_string(":memory:") as saver:
        graph = build("M").compile(checkpointer=saver)
        assert graph.invoke({"log": []}, {"configurable": {"thread_id": "t"}}) == {
            "log": ["M:one", "M:two"]
        }
    path = tmp_path / "file.db"
    with SqliteSaver.from_conn_string(str(path)) as saver:
        graph = build("F").compile(checkpointer=saver)
        graph.invoke({"log": []}, {"configurable": {"thread_id": "t"}})
    # The run deleted its lock file, and the then empty directory.
    assert not (tmp_path / "file.db.locks").exists()


def test_a_lock_file_deleted_by_its_holder_is_locked_again_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from stategraph.checkpoint.sqlite import _io

    path = str(tmp_path / "db.locks" / "t.lock")
    held = _io.take_file_lock(path)
    assert held is not None
    assert _io.take_file_lock(path) is None  # taken
    real = fcntl.flock
    raced: list[int] = []

    def flock(fd: int, operation: int) -> None:
        if not raced:  # opened, not locked yet: the holder releases meanwhile
            raced.append(os.fstat(fd).st_ino)
            _io.release_file_lock(held)
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    token = _io.take_file_lock(path)
    monkeypatch.undo()
    # The first try locked the deleted file: the second made and locked a new one.
    assert token is not None
    assert os.fstat(token[0]).st_ino == os.stat(path).st_ino
    assert _io.take_file_lock(path) is None
    _io.release_file_lock(token)
    assert not os.path.exists(os.path.dirname(path))


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_database_in_a_read_only_directory_names_the_lock_file(
    api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from stategraph.checkpoint.sqlite import SqliteSaver
    from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    real = os.open

    def refuse(path: Any, *args: Any, **kwargs: Any) -> int:
        # As root (the usual container) a read-only directory is still
        # writable; the error the OS gives otherwise:
        if ".locks" in str(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, *args, **kwargs)

    db = str(tmp_path / "ro.db")
    config = {"configurable": {"thread_id": "t"}}
    message = (
        rf"^cannot create the run-lock file '{tmp_path}/ro\.db\.locks/\w+\.lock' "
        rf"\(Read-only file system\): a run locks its thread with a file next to "
        rf"the database, so the database's directory must be writable\. Make "
        rf"'{tmp_path}' writable, move the database, or pass thread_lock='off'"
    )
    if api == "sync":
        with SqliteSaver.from_conn_string(db) as saver:
            graph = build("R").compile(checkpointer=saver)
            monkeypatch.setattr(os, "open", refuse)
            with pytest.raises(OSError, match=message):
                graph.invoke({"log": []}, config)
        return

    async def main() -> None:
        async with AsyncSqliteSaver.from_conn_string(db) as saver:
            graph = build("R").compile(checkpointer=saver)
            monkeypatch.setattr(os, "open", refuse)
            with pytest.raises(OSError, match=message):
                await graph.ainvoke({"log": []}, config)

    asyncio.run(main())


def run_on_pool(dsn: str, api: str, mode: Any) -> Any:
    """Invoke on thread ``t`` through a saver over a pool of one connection."""
    config = {"configurable": {"thread_id": "t"}}
    if api == "sync":
        from psycopg_pool import ConnectionPool

        from stategraph.checkpoint.postgres import PostgresSaver

        with ConnectionPool(dsn, min_size=1, max_size=1, kwargs=AUTOCOMMIT) as pool:
            saver = PostgresSaver(pool, thread_lock=mode)
            return build("P").compile(checkpointer=saver).invoke({"log": []}, config)

    async def main() -> Any:
        from psycopg_pool import AsyncConnectionPool

        from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver

        pool = AsyncConnectionPool(dsn, min_size=1, max_size=1, kwargs=AUTOCOMMIT)
        async with pool:
            saver = AsyncPostgresSaver(pool, thread_lock=mode)
            graph = build("P").compile(checkpointer=saver)
            return await graph.ainvoke({"log": []}, config)

    return asyncio.run(main())


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_pooled_saver_locks_without_taking_a_pool_slot(
    api: str, schemas: Callable[[], str], children: Callable[..., Child]
) -> None:
    dsn = schemas()
    with open_saver("postgres", dsn) as saver:
        saver.setup()
    first = holder(children, "postgres", dsn, api)
    with pytest.raises(ThreadBusyError, match=r"^thread 't' is being run by another"):
        run_on_pool(dsn, api, "raise")
    first.release()
    assert first.next_marker() == "A:done"
    # One pooled connection is enough: the lock is held on another one.
    out = run_on_pool(dsn, api, "raise")
    assert out["log"] == ["A:one", "A:two", "P:one", "P:two"]


def test_sync_runs_on_an_asyncio_saver_take_the_lock_too(
    target: tuple[str, str], children: Callable[..., Child]
) -> None:
    backend, where = target
    config = {"configurable": {"thread_id": "t"}}
    first = holder(children, backend, where, "async")

    async def main(mode: str) -> Any:
        async with open_async_saver(backend, where, thread_lock=mode) as saver:
            graph = build("W").compile(checkpointer=saver)
            # A sync run in a worker thread: the saver's blocking API.
            return await asyncio.to_thread(graph.invoke, {"log": []}, config)

    with pytest.raises(ThreadBusyError, match=r"^thread 't' is being run by another"):
        asyncio.run(main("raise"))
    first.release()
    assert first.next_marker() == "A:done"
    assert asyncio.run(main("raise"))["log"] == ["A:one", "A:two", "W:one", "W:two"]


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_pooled_savers_lock_connection_ends_with_its_runs(
    api: str, schemas: Callable[[], str]
) -> None:
    """No connection of the saver outlives the runs (the pool's owner may drop
    the database once the pool is closed, as LangGraph's tests do)."""
    dsn = schemas()
    config = {"configurable": {"thread_id": "t"}}
    seen: list[Any] = []

    def spying(saver: Any) -> Any:
        def node(state: State) -> State:
            # While the run holds the lock, its connection is open ...
            conn = saver._lock_conn
            seen.append(conn is not None and not conn.closed)
            return {"log": ["spy"]}

        builder: StateGraph[Any] = StateGraph(State)
        builder.add_node("node", node)
        builder.add_edge(START, "node")
        return builder.compile(checkpointer=saver)

    if api == "sync":
        from psycopg_pool import ConnectionPool

        from stategraph.checkpoint.postgres import PostgresSaver

        with ConnectionPool(dsn, min_size=1, max_size=1, kwargs=AUTOCOMMIT) as pool:
            saver: Any = PostgresSaver(pool)
            saver.setup()
            graph = spying(saver)
            graph.invoke({"log": []}, config)
            left = saver._lock_conn
    else:
        from psycopg_pool import AsyncConnectionPool

        from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async def main() -> Any:
            pool = AsyncConnectionPool(dsn, min_size=1, max_size=1, kwargs=AUTOCOMMIT)
            async with pool:
                saver = AsyncPostgresSaver(pool)
                await saver.setup()
                graph = spying(saver)
                await graph.ainvoke({"log": []}, config)
                return saver._lock_conn

        left = asyncio.run(main())
    # ... and once the run is over it is closed.
    assert seen
    assert all(seen)
    assert left is None


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_failing_try_leaves_the_lock_free_for_the_next_run(api: str) -> None:
    from stategraph.checkpoint.base import _runlock

    lock = _runlock.RunLock(("test", uuid.uuid4().hex), "t", "here", "wait", None)
    taken: list[str] = []

    def fail() -> Any:
        raise OSError("no lock file")

    if api == "sync":
        with (
            pytest.raises(OSError, match="no lock file"),
            _runlock.hold(lock, fail, taken.append),
        ):
            pass
        with _runlock.hold(lock, lambda: "token", taken.append):
            taken.append("inside")
    else:

        async def afail() -> Any:
            fail()

        async def atake() -> Any:
            return "token"

        async def arelease(token: Any) -> None:
            taken.append(token)

        async def main() -> None:
            with pytest.raises(OSError, match="no lock file"):
                async with _runlock.ahold(lock, afail, arelease):
                    pass
            async with _runlock.ahold(lock, atake, arelease):
                taken.append("inside")

        asyncio.run(main())
    # The failed try settled its claim: the next one took the lock, released it.
    assert taken == ["inside", "token"]
