"""``stategraph serve`` as real processes: API processes, workers, one database.

Each test starts two ``stategraph serve`` supervisors on its own PostgreSQL
schema, so there are two API processes with distinct URLs (``one`` and
``two``) and two workers, and stops them all. Graph nodes record each
execution in a file, so lost or repeated work shows; the ``gated`` graph
waits in its ``gate`` node until the test creates a file, so a run can be
held mid-way without sleeping in the test.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _redis_support import delete_prefix, new_prefix, require_redis
from langgraph_sdk import get_client, get_sync_client

ROOT = Path(__file__).parents[2]
DEADLINE = 60.0

GRAPHS = textwrap.dedent(
    """
    import asyncio
    import operator
    import os
    from pathlib import Path
    from typing import Annotated

    from typing_extensions import TypedDict

    from stategraph.graph import END, START, StateGraph

    DIR = Path(os.environ["SERVE_TEST_DIR"])


    class State(TypedDict, total=False):
        n: int
        log: Annotated[list, operator.add]


    def _record(line):
        with open(DIR / "executions.log", "a") as out:
            out.write(line + "\\n")


    def count(state, config):
        run_id = config["configurable"]["run_id"]
        _record(f"count {run_id}")
        return {"n": state.get("n", 0) + 1, "log": [run_id]}


    def first(state, config):
        _record(f"first {config['configurable']['run_id']}")
        return {"log": ["first"]}


    async def gate(state, config):
        thread_id = config["configurable"]["thread_id"]
        reached = DIR / f"reached-{thread_id}"
        (DIR / "tmp").mkdir(exist_ok=True)
        tmp = DIR / "tmp" / f"{thread_id}-{os.getpid()}"
        tmp.write_text(str(os.getpid()))
        tmp.replace(reached)
        while not (DIR / f"open-{thread_id}").exists():
            await asyncio.sleep(0.02)  # the graph polls the flag file
        return {"log": ["gate"]}


    def last(state):
        return {"log": ["last"]}


    counter = StateGraph(State).add_node("count", count)
    counter = counter.add_edge(START, "count").add_edge("count", END).compile()

    gated = StateGraph(State)
    gated.add_node("first", first)
    gated.add_node("gate", gate)
    gated.add_node("last", last)
    gated.add_edge(START, "first")
    gated.add_edge("first", "gate")
    gated.add_edge("gate", "last")
    gated.add_edge("last", END)
    gated = gated.compile()
    """
)


@dataclass
class Serve:
    """One ``stategraph serve`` supervisor and what it printed."""

    proc: subprocess.Popen[str]
    url: str = ""
    pids: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            # Its children stop on their own once their parent is gone.
            self.proc.kill()
            self.proc.communicate()
        assert self.proc.returncode is not None


@dataclass
class Cluster:
    """Start supervisors on one schema; every one is stopped by ``close``."""

    config: Path
    uri: str
    dir: Path
    #: ``--redis-uri`` and ``--redis-prefix`` when streams go through Redis.
    redis: tuple[str, str] | None = None
    started: list[Serve] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)

    def client(self, url: str) -> Any:
        """A sync SDK client of ``url``, closed with the cluster."""
        made = get_sync_client(url=url, api_key=None)
        self.clients.append(made)
        return made

    def start(self, *, apis: int = 1, workers: int = 1, lease: float = 2.0) -> Serve:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "DATABASE_URI": self.uri,
            "SERVE_TEST_DIR": str(self.dir),
        }
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "stategraph.cli", "serve"),
                *("--config", str(self.config), "--port", "0"),
                *("--api-processes", str(apis), "--workers", str(workers)),
                *("--lease-seconds", str(lease)),
                *(
                    ("--redis-uri", self.redis[0], "--redis-prefix", self.redis[1])
                    if self.redis
                    else ()
                ),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        serve = Serve(proc)
        self.started.append(serve)
        assert proc.stdout is not None
        for line in proc.stdout:  # printed before the children start serving
            if " at http://" in line:
                serve.url = line.rsplit(" at ", 1)[1].strip()
            elif "pid=" in line:
                name, _, pid = line.strip().partition(" pid=")
                serve.pids[name] = int(pid)
            elif "ready" in line:
                break
        else:
            raise AssertionError(f"stategraph serve did not start: {proc.wait()}")
        return serve

    def close(self) -> None:
        for made in self.clients:
            made.http.client.close()
        for serve in self.started:
            serve.stop()

    def executions(self) -> Counter[str]:
        log = self.dir / "executions.log"
        return Counter(log.read_text().splitlines() if log.exists() else [])

    def open_gate(self, thread_id: str) -> None:
        (self.dir / f"open-{thread_id}").touch()

    def wait_reached(self, thread_id: str, not_pid: int | None = None) -> int:
        """The pid of the worker whose gate node the thread's run reached."""
        reached = self.dir / f"reached-{thread_id}"
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if reached.exists():
                pid = int(reached.read_text())
                if pid != not_pid:
                    return pid
            time.sleep(0.02)  # polling a file another process writes
        raise AssertionError(f"no worker reached the gate of {thread_id}")


def _write_config(directory: Path) -> Path:
    (directory / "graph.py").write_text(GRAPHS)
    config = directory / "langgraph.json"
    graphs = {"counter": "./graph.py:counter", "gated": "./graph.py:gated"}
    config.write_text(json.dumps({"graphs": graphs}))
    return config


@pytest.fixture(params=["pg-streams", "redis-streams"])
def cluster(
    request: pytest.FixtureRequest, schemas: Callable[[], str], tmp_path: Path
) -> Iterator[Cluster]:
    """Streams through PostgreSQL, or through Redis under a prefix of its own."""
    config = _write_config(tmp_path)
    redis = None
    if request.param == "redis-streams":
        redis = (require_redis(), new_prefix())
    made = Cluster(config, schemas(), tmp_path, redis)
    try:
        yield made
    finally:
        made.close()
        if redis is not None:
            delete_prefix(redis[1])


def test_runs_created_on_one_api_process_stream_and_join_on_another(
    cluster: Cluster,
) -> None:
    one = cluster.client(cluster.start().url)
    two = cluster.client(cluster.start().url)
    thread = one.threads.create()
    tid = thread["thread_id"]
    run = one.runs.create(tid, "gated", input={"n": 0}, stream_resumable=True)
    cluster.wait_reached(tid)
    cluster.open_gate(tid)
    parts = list(two.runs.join_stream(tid, run["run_id"], last_event_id="-1"))
    events = [part.event for part in parts]
    assert events[0] == "metadata"
    assert parts[0].data == {"run_id": run["run_id"], "attempt": 1}
    done = {"n": 0, "log": ["first", "gate", "last"]}
    assert parts[-1].data == done
    assert two.runs.join(tid, run["run_id"]) == done
    # A run created and streamed on process two, read back on process one.
    streamed = list(
        two.runs.stream(tid, "counter", input={"n": 5}, stream_mode="updates")
    )
    updates = [p.data for p in streamed if p.event == "updates"]
    assert updates[0]["count"]["n"] == 6
    assert one.threads.get_state(tid)["values"]["n"] == 6
    assert [r["status"] for r in one.runs.list(tid)] == ["success", "success"]
    assert one.threads.get(tid)["status"] == "idle"


THREADS, RUNS_PER_THREAD = 50, 4  # 200 runs in flight at once


def test_many_concurrent_runs_finish_once_each(cluster: Cluster) -> None:
    # Two supervisors: two API processes and two workers on one database.
    urls = [cluster.start(workers=1).url, cluster.start(workers=1).url]

    async def drive() -> list[tuple[str, str]]:
        clients = [get_client(url=u, api_key=None) for u in urls]
        try:
            return await create_and_join(clients)
        finally:
            for client in clients:
                await client.http.client.aclose()

    async def create_and_join(clients: list[Any]) -> list[tuple[str, str]]:
        threads = await asyncio.gather(
            *(clients[i % 2].threads.create() for i in range(THREADS))
        )

        async def fill(index: int) -> list[tuple[str, str]]:
            # A thread's runs are queued one after the other, alternating API
            # processes; all threads are filled at the same time.
            tid = threads[index]["thread_id"]
            out = []
            for i in range(RUNS_PER_THREAD):
                run = await clients[(index + i) % 2].runs.create(
                    tid, "counter", input={}, multitask_strategy="enqueue"
                )
                out.append((tid, run["run_id"]))
            return out

        filled = await asyncio.gather(*map(fill, range(THREADS)))
        made = [m for ms in filled for m in ms]
        # Joined through the other process than the one that created it.
        await asyncio.gather(
            *(clients[(i + 1) % 2].runs.join(t, r) for i, (t, r) in enumerate(made))
        )
        return made

    made = asyncio.run(drive())
    assert len({r for _, r in made}) == THREADS * RUNS_PER_THREAD
    # Every run ran exactly once: its node recorded it once, in a worker.
    executed = cluster.executions()
    assert sorted(executed) == sorted(f"count {r}" for _, r in made)
    assert set(executed.values()) == {1}
    client = cluster.client(urls[0])
    for tid in {t for t, _ in made}:
        runs = client.runs.list(tid, limit=100)
        assert len(runs) == RUNS_PER_THREAD
        assert {r["status"] for r in runs} == {"success"}
        values = client.threads.get_state(tid)["values"]
        assert values["n"] == RUNS_PER_THREAD
        # First in, first out per thread: runs ran in the order they came.
        assert values["log"] == [r for t, r in made if t == tid]


def test_a_killed_workers_run_is_finished_by_another_from_its_checkpoint(
    cluster: Cluster,
) -> None:
    one = cluster.start(workers=1)
    cluster.start(workers=1)
    client = cluster.client(one.url)
    tid = client.threads.create()["thread_id"]
    run = client.runs.create(tid, "gated", input={}, stream_resumable=True)
    victim = cluster.wait_reached(tid)
    # Frames are stored in batches behind the run (a SIGKILL may lose the
    # last few): kill once the first attempt's start is readable elsewhere.
    frames = client.runs.join_stream(tid, run["run_id"], last_event_id="-1")
    first = next(iter(frames))
    getattr(frames, "close", lambda: None)()
    assert first.event == "metadata"
    assert first.data["attempt"] == 1
    os.kill(victim, signal.SIGKILL)
    successor = cluster.wait_reached(tid, not_pid=victim)
    assert successor != victim
    cluster.open_gate(tid)
    assert client.runs.join(tid, run["run_id"]) == {"log": ["first", "gate", "last"]}
    assert client.runs.get(tid, run["run_id"])["status"] == "success"
    # ``first`` finished before the kill: it is not run again.
    assert cluster.executions()[f"first {run['run_id']}"] == 1
    frames = list(client.runs.join_stream(tid, run["run_id"], last_event_id="-1"))
    attempts = [p.data["attempt"] for p in frames if p.event == "metadata"]
    assert attempts == [1, 2]


def test_queued_runs_survive_an_api_process_restart(cluster: Cluster) -> None:
    api_only = cluster.start(workers=0)
    client = cluster.client(api_only.url)
    made = []
    for _ in range(5):
        tid = client.threads.create()["thread_id"]
        made.append((tid, client.runs.create(tid, "counter", input={})["run_id"]))
    assert {client.runs.get(t, r)["status"] for t, r in made} == {"pending"}
    api_only.stop()
    restarted = cluster.client(cluster.start(workers=0).url)
    cluster.start(workers=1)
    for tid, run_id in made:
        restarted.runs.join(tid, run_id)
        assert restarted.runs.get(tid, run_id)["status"] == "success"
        assert restarted.threads.get_state(tid)["values"]["n"] == 1


@pytest.mark.parametrize("action", ["interrupt", "rollback"])
def test_cancel_on_one_api_process_reaches_the_run_on_a_worker(
    cluster: Cluster, action: str
) -> None:
    one = cluster.client(cluster.start(workers=1).url)
    two = cluster.client(cluster.start(workers=1).url)
    tid = one.threads.create()["thread_id"]
    run = one.runs.create(tid, "gated", input={})
    cluster.wait_reached(tid)
    two.runs.cancel(tid, run["run_id"], action=action)  # type: ignore[arg-type]
    if action == "interrupt":
        one.runs.join(tid, run["run_id"])
        assert [r["status"] for r in one.runs.list(tid)] == ["interrupted"]
    else:  # the worker deletes the run: wait for that
        deadline = time.monotonic() + DEADLINE
        while one.runs.list(tid) and time.monotonic() < deadline:
            time.sleep(0.02)  # polling another process's work
        assert one.runs.list(tid) == []
    assert "last" not in json.dumps(one.threads.get_state(tid)["values"])
    # Nothing is left running on the thread: a new run goes through.
    cluster.open_gate(tid)
    again = one.runs.wait(tid, "gated", input={}, multitask_strategy="reject")
    assert isinstance(again, dict)
    assert again["log"][-3:] == ["first", "gate", "last"]


def test_a_stopping_worker_hands_its_run_to_another_at_once(cluster: Cluster) -> None:
    # A lease far longer than the test: only the hand-back can move the run.
    one = cluster.start(workers=1, lease=600)
    cluster.start(workers=1, lease=600)
    client = cluster.client(one.url)
    tid = client.threads.create()["thread_id"]
    run = client.runs.create(tid, "gated", input={}, stream_resumable=True)
    stopping = cluster.wait_reached(tid)
    os.kill(stopping, signal.SIGTERM)
    successor = cluster.wait_reached(tid, not_pid=stopping)
    assert successor != stopping
    cluster.open_gate(tid)
    assert client.runs.join(tid, run["run_id"]) == {"log": ["first", "gate", "last"]}
    assert cluster.executions()[f"first {run['run_id']}"] == 1
    frames = list(client.runs.join_stream(tid, run["run_id"], last_event_id="-1"))
    assert [p.data["attempt"] for p in frames if p.event == "metadata"] == [1, 2]


def test_an_idle_connection_outlives_the_clients_keep_alive_expiry(
    schemas: Callable[[], str], tmp_path: Path
) -> None:
    # httpx drops a connection idle for 5 s; a server closing at 5 s too
    # races with its reuse (the request fails with ReadError), so the API
    # process must keep it open longer.
    cluster = Cluster(_write_config(tmp_path), schemas(), tmp_path)
    try:
        url = cluster.start(workers=0).url
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("GET", "/ok")
            response = conn.getresponse()
            assert json.loads(response.read()) == {"ok": True}
            assert conn.sock is not None  # kept alive after the full response
            conn.sock.settimeout(6.0)  # idle past the clients' 5 s expiry
            with pytest.raises(TimeoutError):  # not b"": the server closing it
                conn.sock.recv(1)
        finally:
            conn.close()
    finally:
        cluster.close()
