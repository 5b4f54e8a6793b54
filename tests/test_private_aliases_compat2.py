"""LangGraph's private paths (``_internal._runnable``...) act as in LangGraph."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from typing import Any, Optional

import pytest
from typing_extensions import NotRequired, TypedDict

from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SEND,
)
from stategraph.errors import NodeCancelledError, NodeTimeoutError, ParentCommand
from stategraph.runtime import DEFAULT_RUNTIME, ExecutionInfo
from stategraph.types import (
    Command,
    PregelExecutableTask,
    RetryPolicy,
    TimeoutPolicy,
)


def test_is_async_callable_and_generator() -> None:
    from stategraph._internal._runnable import is_async_callable, is_async_generator

    async def coro() -> None:
        return None

    async def agen() -> Any:
        yield 1

    class AsyncCall:
        async def __call__(self) -> None:
            return None

    assert is_async_callable(coro)
    assert is_async_callable(AsyncCall())
    assert not is_async_callable(lambda: None)
    assert is_async_generator(agen)
    assert not is_async_generator(coro)


def test_runnable_callable_is_stategraphs() -> None:
    from stategraph._internal import _runnable
    from stategraph.prebuilt._runnable import RunnableCallable

    assert _runnable.RunnableCallable is RunnableCallable
    assert RunnableCallable(lambda x: x + 1).invoke(1) == 2


def test_config_callback_helpers() -> None:
    from langchain_core.callbacks import AsyncCallbackManager, CallbackManager

    from stategraph._internal._config import (
        _is_not_empty,
        _merge_callbacks,
        get_async_callback_manager_for_config,
        get_callback_manager_for_config,
    )

    assert _is_not_empty(0)
    assert not _is_not_empty([])
    assert not _is_not_empty(None)
    manager = get_callback_manager_for_config({"tags": ["a"]}, tags=["b"])
    assert isinstance(manager, CallbackManager)
    assert manager.inheritable_tags == ["a", "b"]
    amanager = get_async_callback_manager_for_config({}, tags=["x"])
    assert isinstance(amanager, AsyncCallbackManager)
    assert _merge_callbacks([1], [2]) == [1, 2]
    assert _merge_callbacks(None, None) is None
    with pytest.raises(TypeError, match="callbacks must be"):
        _merge_callbacks("bad", [1])


def test_field_helpers() -> None:
    from stategraph._internal._fields import (
        _is_optional_type,
        get_enhanced_type_hints,
        get_field_default,
    )

    class State(TypedDict):
        a: int
        b: NotRequired[str]

    @dataclasses.dataclass
    class Data:
        x: int
        y: str = "d"

    assert _is_optional_type(Optional[int])  # noqa: UP045
    assert not _is_optional_type(int)
    assert get_field_default("a", int, State) is ...
    assert get_field_default("b", NotRequired[str], State) is None
    assert list(get_enhanced_type_hints(Data)) == [
        ("x", int, None, None),
        ("y", str, "d", None),
    ]


def test_is_supported_by_pydantic() -> None:
    from pydantic import BaseModel

    from stategraph._internal._pydantic import is_supported_by_pydantic

    class Model(BaseModel):
        a: int

    class State(TypedDict):
        a: int

    assert is_supported_by_pydantic(Model)
    assert is_supported_by_pydantic(State)
    assert not is_supported_by_pydantic(int)


def test_coerce_timeout_policy_keeps_normalised_instance() -> None:
    from stategraph._internal._timeout import coerce_timeout_policy

    policy = coerce_timeout_policy(0.5)
    assert policy == TimeoutPolicy(run_timeout=0.5)
    assert coerce_timeout_policy(policy) is policy
    with pytest.raises(ValueError, match="greater than 0"):
        coerce_timeout_policy(0)


def _task(proc: Any, *, timeout: Any = None, writers: Any = ()) -> PregelExecutableTask:
    writes: deque[tuple[str, Any]] = deque()
    config: Any = {
        CONF: {
            CONFIG_KEY_RUNTIME: DEFAULT_RUNTIME,
            CONFIG_KEY_CHECKPOINT_NS: "parent:1|child:2",
            CONFIG_KEY_SEND: writes.extend,
        }
    }
    return PregelExecutableTask(
        name="child",
        input=1,
        proc=proc,
        writes=writes,
        config=config,
        triggers=["child"],
        retry_policy=[RetryPolicy(max_attempts=3, initial_interval=0, jitter=False)],
        cache_key=None,
        id="tid",
        path=("__pregel_pull", "child"),
        writers=writers,
        timeout=timeout,
    )


class _Flaky:
    def __init__(self) -> None:
        self.infos: list[ExecutionInfo] = []

    def _step(self, config: Any) -> str:
        info = config[CONF][CONFIG_KEY_RUNTIME].execution_info
        self.infos.append(info)
        if len(self.infos) < 2:
            raise ConnectionError("flaky")
        return "ok"

    def invoke(self, input: Any, config: Any) -> str:
        return self._step(config)

    async def ainvoke(self, input: Any, config: Any) -> str:
        return self._step(config)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_run_with_retry_retries_and_counts_attempts(mode: str) -> None:
    from stategraph.pregel._retry import arun_with_retry, run_with_retry

    proc = _Flaky()
    task = _task(proc)
    if mode == "sync":
        result = run_with_retry(task, None)
    else:
        result = asyncio.run(arun_with_retry(task, None))
    assert result == "ok"
    assert [i.node_attempt for i in proc.infos] == [1, 2]
    assert proc.infos[0].task_id == "tid"
    assert (
        proc.infos[0].node_first_attempt_time == proc.infos[1].node_first_attempt_time
    )


def test_parent_command_is_readdressed_and_sync_timeout_refused() -> None:
    from stategraph.pregel._retry import (
        _checkpoint_ns_for_parent_command,
        _should_retry_on,
        run_with_retry,
    )

    class Raises:
        def invoke(self, input: Any, config: Any) -> None:
            raise ParentCommand(Command(graph=Command.PARENT, goto="x"))

    with pytest.raises(ParentCommand) as info:
        run_with_retry(_task(Raises()), None)
    assert info.value.args[0].graph == "parent:1"
    assert _checkpoint_ns_for_parent_command("a:1|1|b:2|1") == "a:1"
    assert _should_retry_on(RetryPolicy(retry_on=KeyError), KeyError("k"))
    with pytest.raises(ValueError, match="only supported for async nodes"):
        run_with_retry(_task(Raises(), timeout=TimeoutPolicy(run_timeout=1)), None)


def test_arun_with_retry_idle_timeout_and_user_cancel() -> None:
    from stategraph.pregel._retry import arun_with_retry

    never = asyncio.Event()

    class Stalls:
        async def ainvoke(self, input: Any, config: Any) -> None:
            config[CONF][CONFIG_KEY_SEND]([("a", 1)])
            await never.wait()

    class Cancels:
        async def ainvoke(self, input: Any, config: Any) -> None:
            raise asyncio.CancelledError("mine")

    task = _task(Stalls(), timeout=TimeoutPolicy(idle_timeout=0.05))
    task = dataclasses.replace(task, retry_policy=[])
    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        asyncio.run(arun_with_retry(task, None))
    assert list(task.writes) == []  # a timed-out attempt's writes never count
    with pytest.raises(NodeCancelledError) as info:
        asyncio.run(arun_with_retry(_task(Cancels()), None))
    assert info.value.node == "child"


@dataclasses.dataclass
class _Inner:
    x: int


class _State(TypedDict):
    inner: _Inner
    maybe: NotRequired[_Inner | None]


def test_serde_allowlist_lists_registrable_schema_classes() -> None:
    from langchain_core.messages import AIMessage

    from stategraph._internal._serde import (
        build_serde_allowlist,
        collect_allowlist_from_schemas,
        curated_core_allowlist,
    )

    class Channel:
        ValueType = _Inner
        UpdateType = Any

    key = (_Inner.__module__, _Inner.__name__)
    assert collect_allowlist_from_schemas(schemas=[_State]) == {key}
    assert collect_allowlist_from_schemas(channels={"c": Channel()}) == {key}
    assert collect_allowlist_from_schemas(schemas=[Any]) == set()
    assert (AIMessage.__module__, "AIMessage") in curated_core_allowlist()
    assert build_serde_allowlist(schemas=[_Inner]) >= {key, *curated_core_allowlist()}


@pytest.mark.parametrize("merge", ["merge_configs", "ensure_config"])
def test_config_merge_keeps_inputs_and_merges_lc_versions(merge: str) -> None:
    from stategraph import _config

    func = getattr(_config, merge)
    a_versions = {"langgraph": "1"}
    a = {"metadata": {"lc_versions": a_versions, "k": "a"}, "callbacks": [1]}
    b = {"metadata": {"lc_versions": {"core": "2"}, "k": "b"}, "callbacks": [2]}
    merged = func(a, b)
    assert merged["metadata"] == {
        "lc_versions": {"langgraph": "1", "core": "2"},
        "k": "b",
    }
    assert merged["callbacks"] == [1, 2]
    merged["metadata"]["lc_versions"]["langgraph"] = "changed"
    assert a_versions == {"langgraph": "1"}


def test_timed_attempt_observer_sees_start_progress_finish() -> None:
    from stategraph._constants import CONFIG_KEY_TIMED_ATTEMPT_OBSERVER
    from stategraph.pregel._retry import arun_with_retry

    events: list[Any] = []

    class Beats:
        async def ainvoke(self, input: Any, config: Any) -> str:
            config[CONF][CONFIG_KEY_RUNTIME].heartbeat()
            return "ok"

    task = _task(Beats(), timeout=TimeoutPolicy(idle_timeout=5.0))
    task.config[CONF][CONFIG_KEY_TIMED_ATTEMPT_OBSERVER] = events.append
    assert asyncio.run(arun_with_retry(task, None)) == "ok"
    assert [e.event for e in events] == ["start", "progress", "finish"]
    assert events[-1].status == "success"
    assert events[0].context.idle_timeout_secs == 5.0


def test_callback_manager_gives_tracers_plain_configurable_values() -> None:
    from unittest.mock import MagicMock

    from langchain_core.tracers import LangChainTracer

    from stategraph._internal._config import get_callback_manager_for_config

    tracer = LangChainTracer(client=MagicMock())
    config: Any = {
        "configurable": {
            "thread_id": "t",
            "n": 1,
            "__private": "x",
            "api_key": "s",
            "nested": {"a": 1},
        },
        "callbacks": [tracer],
    }
    manager = get_callback_manager_for_config(config)
    (found,) = [h for h in manager.handlers if isinstance(h, LangChainTracer)]
    assert found.tracing_metadata == {"thread_id": "t", "n": 1}
