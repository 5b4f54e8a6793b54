"""A process forked while savers are busy starts with nothing of theirs held.

``os.fork`` copies every object but only the forking thread: the sync
``PostgresSaver``'s background writer (``durability="async"``) does not
exist in the child, the steps it had queued are the parent's, and locks
other threads held at the fork would stay held. Each test forks a child
that runs a graph on a connection of its own and exits with 0 when every
assertion held; the parent waits for it (with a timeout: a hang is a
failure) and checks its own work was not disturbed.
"""

from __future__ import annotations

import operator
import os
import signal
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import psycopg
import pytest
from typing_extensions import TypedDict

from stategraph.cache.memory import InMemoryCache
from stategraph.checkpoint import _fork
from stategraph.checkpoint.base import _runlock, empty_checkpoint
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.sqlite import SqliteSaver, _io
from stategraph.errors import ThreadBusyError
from stategraph.graph import START, StateGraph

CHILD_TIMEOUT = 60.0


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def chain(*names: str) -> Any:
    builder: Any = StateGraph(State)
    previous = START
    for name in names:
        builder.add_node(name, lambda s, name=name: {"log": [name]})
        builder.add_edge(previous, name)
        previous = name
    return builder


def config(thread: str) -> Any:
    return {"configurable": {"thread_id": thread}}


def fork(child: Callable[[], None]) -> int:
    """Run ``child`` in a forked process; return its pid (exit 0: it passed)."""
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock
        # the child: what these tests check does not happen.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        return pid
    code = 2
    try:
        child()
        code = 0
    except AssertionError:
        traceback.print_exc()
        code = 1
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def exit_code(pid: int) -> int:
    """Wait for the child; kill it and fail if it does not end in time."""
    done: list[int] = []
    waiter = threading.Thread(target=lambda: done.append(os.waitpid(pid, 0)[1]))
    waiter.start()
    waiter.join(CHILD_TIMEOUT)
    if not done:
        os.kill(pid, signal.SIGKILL)
        waiter.join()
        pytest.fail(f"the forked child hung for {CHILD_TIMEOUT} s")
    return os.waitstatus_to_exitcode(done[0])


@contextmanager
def held(*locks: Any) -> Iterator[None]:
    """Hold ``locks`` as another thread of the parent could at the fork."""
    with ExitStack() as stack:
        for lock in locks:
            stack.enter_context(lock)
        yield


def put_queued(saver: PostgresSaver, thread: str) -> Any:
    """Queue a step (``durable=False``) on ``thread``; return its config."""
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"log": ["queued"]}
    checkpoint["channel_versions"] = {"log": f"{1:032}.5"}
    return saver.put_step(
        {"configurable": {"thread_id": thread, "checkpoint_ns": ""}},
        checkpoint,
        {"step": 0},
        {"log": f"{1:032}.5"},
        [],
        durable=False,
    )


def test_postgres_child_of_a_busy_writer_runs_its_own_steps(
    schemas: Callable[[], str],
) -> None:
    dsn = schemas()
    with psycopg.connect(dsn, autocommit=True) as conn:
        saver = PostgresSaver(conn)
        saver.setup()
        graph = chain("a", "b").compile(checkpointer=saver)
        graph.invoke({"log": []}, config("parent"), durability="async")
        assert saver._steps.executor is not None  # the writer thread exists

        def child() -> None:
            steps = saver._steps
            assert (steps.draining, steps.executor, steps._queued) == (None, None, [])
            assert not steps._lock.locked()
            with psycopg.connect(dsn, autocommit=True) as own_conn:
                own = PostgresSaver(own_conn)
                mine = chain("a", "b").compile(checkpointer=own)
                out = mine.invoke({"log": []}, config("child"), durability="async")
                assert out == {"log": ["a", "b"]}
                assert len(list(own.list(config("child")))) == 4
                assert own._steps.executor is not None  # a writer of its own
                # The parent's run lock is the parent's, not the child's.
                strict = PostgresSaver(own_conn, thread_lock="raise")
                with pytest.raises(ThreadBusyError):
                    chain("a").compile(checkpointer=strict).invoke(
                        {"log": []}, config("busy")
                    )

        with saver.run_lock("busy"):
            with saver.lock:  # the writer waits for the connection meanwhile
                queued = put_queued(saver, "parent")
                assert saver._steps.draining is not None
                with held(saver._steps._lock, _runlock._GUARD):
                    pid = fork(child)
            assert exit_code(pid) == 0
        stored = saver.get_tuple(queued)
    assert stored is not None
    assert stored.checkpoint["channel_values"] == {"log": ["queued"]}


def test_sqlite_child_takes_its_own_run_lock(tmp_path: Path) -> None:
    path = str(tmp_path / "fork.db")
    with SqliteSaver.from_conn_string(path) as saver:
        saver.setup()

        def child() -> None:
            assert not _io._LOCK_FDS
            with SqliteSaver.from_conn_string(path) as own:
                own.thread_lock = "raise"
                with pytest.raises(ThreadBusyError):
                    chain("a").compile(checkpointer=own).invoke(
                        {"log": []}, config("busy")
                    )
                out = (
                    chain("a")
                    .compile(checkpointer=own)
                    .invoke({"log": []}, config("child"))
                )
                assert out == {"log": ["a"]}

        with saver.run_lock("busy"):
            assert len(_io._LOCK_FDS) == 1
            with held(_runlock._GUARD):
                pid = fork(child)
            assert exit_code(pid) == 0
            # The child closed only its copy of the descriptor: still locked.
            lock_file = _io.lock_path(path, "busy")
            assert lock_file is not None
            assert _io.take_file_lock(lock_file) is None
        assert not _io._LOCK_FDS


def test_memory_saver_and_cache_locks_are_free_in_the_child() -> None:
    saver = InMemorySaver()
    cache: InMemoryCache[Any] = InMemoryCache()
    graph = chain("a").compile(checkpointer=saver, cache=cache)
    graph.invoke({"log": []}, config("parent"))

    def child() -> None:
        out = graph.invoke({"log": []}, config("parent"))
        assert out == {"log": ["a", "a"]}
        cache.set({(("n",), "k"): ({"v": 1}, None)})
        assert cache.get([(("n",), "k")]) == {(("n",), "k"): {"v": 1}}

    locks = [cache._lock, *(blobs._lock for blobs in _list_blobs(saver))]
    with held(*locks):
        pid = fork(child)
    assert exit_code(pid) == 0


def _list_blobs(saver: InMemorySaver) -> list[Any]:
    from stategraph.checkpoint.memory._lists import ListBlobs

    found = [v for v in vars(saver).values() if isinstance(v, ListBlobs)]
    assert found, "InMemorySaver keeps its list values in a ListBlobs"
    return found


def test_owned_calls_do_nothing_in_a_child(tmp_path: Path) -> None:
    """Finalizers closing a connection must not end the parent's session."""
    ran = tmp_path / "ran"
    close = _fork.owned(ran.touch)

    def child() -> None:
        close()
        assert not ran.exists()

    assert exit_code(fork(child)) == 0
    close()
    assert ran.exists()


def test_a_child_leaving_its_parents_run_keeps_the_parents_lock(
    tmp_path: Path,
) -> None:
    """A child forked inside a run (by a node, say) ends it without unlocking."""
    path = str(tmp_path / "inside.db")
    with SqliteSaver.from_conn_string(path) as saver:
        saver.setup()
        lock_file = _io.lock_path(path, "busy")
        assert lock_file is not None
        run = saver.run_lock("busy")
        run.__enter__()

        def child() -> None:
            run.__exit__(None, None, None)
            assert os.path.exists(lock_file)

        try:
            assert exit_code(fork(child)) == 0
            assert _io.take_file_lock(lock_file) is None
        finally:
            run.__exit__(None, None, None)
        assert not os.path.exists(lock_file)
