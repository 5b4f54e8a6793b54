"""LangGraph's ``checkpoint.conformance`` API, running stategraph's checkpointer suite.

``@checkpointer_test`` registers an async generator yielding a saver and
``validate`` runs the cases of ``stategraph.testing`` on it through the async
API, one fresh saver per case, and returns a per-capability report shaped
like LangGraph's. The facade ``stategraph.checkpoint.conformance`` exports it
under LangGraph's module names; nothing here imports LangGraph.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from stategraph.checkpoint.base import BaseCheckpointSaver
from stategraph.errors import GraphBubbleUp
from stategraph.testing._checkpointer import (
    checkpointer_cases,
    run_checkpointer_case,
    supports,
)

SaverGenerator = Callable[[], AsyncGenerator[BaseCheckpointSaver[Any], None]]
LifespanFactory = Callable[[], AsyncGenerator[None, None]]


class Capability(str, Enum):
    """A family of saver methods the suite checks."""

    PUT = "put"
    PUT_WRITES = "put_writes"
    GET_TUPLE = "get_tuple"
    LIST = "list"
    DELETE_THREAD = "delete_thread"
    DELETE_FOR_RUNS = "delete_for_runs"
    COPY_THREAD = "copy_thread"
    PRUNE = "prune"
    DELTA_CHANNEL_HISTORY = "delta_channel_history"


BASE_CAPABILITIES = frozenset(
    {
        Capability.PUT,
        Capability.PUT_WRITES,
        Capability.GET_TUPLE,
        Capability.LIST,
        Capability.DELETE_THREAD,
    }
)
"""What every saver must do."""
EXTENDED_CAPABILITIES = frozenset(Capability) - BASE_CAPABILITIES
"""Optional methods, checked when the saver overrides them."""
ALL_CAPABILITIES = BASE_CAPABILITIES | EXTENDED_CAPABILITIES


async def _no_lifespan() -> AsyncGenerator[None, None]:
    yield


@asynccontextmanager
async def _entered(gen: AsyncGenerator[Any, None]) -> AsyncIterator[Any]:
    """Run an async generator's code before and after its single ``yield``."""
    value = await gen.__anext__()
    try:
        yield value
    finally:
        try:
            await gen.__anext__()  # the cleanup after the yield
        except StopAsyncIteration:
            pass
        else:
            await gen.aclose()


@dataclass
class RegisteredCheckpointer:
    """A saver factory registered with ``checkpointer_test``.

    Attributes:
        name: Shown in the report.
        factory: Async generator function yielding a fresh saver, then
            cleaning it up.
        skip_capabilities: Capability names not to run.
        lifespan: Async generator function run around the whole validation.
    """

    name: str
    factory: SaverGenerator
    skip_capabilities: set[str] = field(default_factory=set)
    lifespan: LifespanFactory = _no_lifespan

    def create(self) -> Any:
        """A context manager yielding a fresh saver from ``factory``."""
        return _entered(self.factory())

    def enter_lifespan(self) -> Any:
        """A context manager running ``lifespan`` around a validation."""
        return _entered(self.lifespan())


def checkpointer_test(
    name: str,
    *,
    skip_capabilities: set[str] | None = None,
    lifespan: LifespanFactory | None = None,
) -> Callable[[SaverGenerator], RegisteredCheckpointer]:
    """Register the decorated async generator as a saver factory for ``validate``.

    Args:
        name: Name of the saver in the report.
        skip_capabilities: Capability names to leave out.
        lifespan: Async generator run once around the validation (for
            example to create and drop a database).

    Example:
        >>> @checkpointer_test(name="InMemorySaver")
        ... async def memory():
        ...     yield InMemorySaver()
    """

    def register(factory: SaverGenerator) -> RegisteredCheckpointer:
        return RegisteredCheckpointer(
            name, factory, set(skip_capabilities or ()), lifespan or _no_lifespan
        )

    return register


@dataclass
class ProgressCallbacks:
    """Optional hooks called while ``validate`` runs.

    Attributes:
        on_capability_start: ``(capability, detected)`` before a capability.
        on_test_result: ``(capability, case, passed, error)`` after each case.
        on_capability_end: ``(capability)`` after a capability.
    """

    on_capability_start: Callable[[str, bool], None] | None = None
    on_test_result: Callable[[str, str, bool, str | None], None] | None = None
    on_capability_end: Callable[[str], None] | None = None

    @classmethod
    def quiet(cls) -> ProgressCallbacks:
        """No output."""
        return cls()

    @classmethod
    def default(cls) -> ProgressCallbacks:
        """One character per case (``.`` passed, ``F`` failed)."""

        def result(cap: str, case: str, passed: bool, error: str | None) -> None:
            print("." if passed else "F", end="", flush=True)

        return cls(on_test_result=result, on_capability_end=lambda cap: print())

    @classmethod
    def verbose(cls) -> ProgressCallbacks:
        """One line per case, with the error of failed ones."""

        def result(cap: str, case: str, passed: bool, error: str | None) -> None:
            print(f"  {'PASS' if passed else 'FAIL'} {case}")
            if error:
                print(f"       {error}")

        return cls(
            on_capability_start=lambda cap, found: print(f"{cap}:"),
            on_test_result=result,
        )


@dataclass
class CapabilityResult:
    """Outcome of one capability; ``passed`` is ``None`` when it did not run."""

    detected: bool = False
    passed: bool | None = None
    tests_passed: int = 0
    tests_failed: int = 0
    tests_skipped: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class CapabilityReport:
    """Outcome of ``validate``, by capability name."""

    checkpointer_name: str
    results: dict[str, CapabilityResult] = field(default_factory=dict)

    def passed_all_base(self) -> bool:
        """Whether every base capability ran and passed."""
        return all(self._passed(cap) for cap in BASE_CAPABILITIES)

    def passed_all(self) -> bool:
        """Whether every capability the saver implements passed."""
        return all(r.passed is True for r in self.results.values() if r.detected)

    def conformance_level(self) -> str:
        """``"FULL"``, ``"BASE+PARTIAL"``, ``"BASE"`` (some passed) or ``"NONE"``."""
        if self.passed_all():
            return "FULL"
        if self.passed_all_base():
            return "BASE+PARTIAL"
        return "BASE" if any(self._passed(c) for c in BASE_CAPABILITIES) else "NONE"

    def _passed(self, cap: Capability) -> bool:
        result = self.results.get(cap.value)
        return result is not None and result.passed is True

    def print_report(self) -> None:
        """Print one line per capability and the conformance level."""
        print(f"Checkpointer conformance: {self.checkpointer_name}")
        for cap in Capability:
            result = self.results.get(cap.value)
            if result is None or not result.detected:
                status = "not implemented" if result else "not run"
            elif result.passed is None:
                status = "skipped"
            elif result.passed:
                status = f"passed ({result.tests_passed})"
            else:
                status = f"FAILED ({result.tests_failed} of "
                status += f"{result.tests_passed + result.tests_failed})"
            print(f"  {cap.value:24s} {status}")
        print(f"  level: {self.conformance_level()}")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "checkpointer_name": self.checkpointer_name,
            "conformance_level": self.conformance_level(),
            "results": {
                name: {
                    "detected": r.detected,
                    "passed": r.passed,
                    "tests_passed": r.tests_passed,
                    "tests_failed": r.tests_failed,
                    "tests_skipped": r.tests_skipped,
                    "failures": list(r.failures),
                }
                for name, r in self.results.items()
            },
        }


async def _run_capability(
    registered: RegisteredCheckpointer, cap: str, progress: ProgressCallbacks
) -> CapabilityResult:
    async with registered.create() as saver:
        detected = supports(saver, cap, "async")
    if progress.on_capability_start:
        progress.on_capability_start(cap, detected)
    result = CapabilityResult(detected=detected)
    if not detected:
        result.tests_skipped = 1
        return result
    for case in checkpointer_cases([cap]):
        error: str | None = None
        try:
            await run_checkpointer_case(case, registered.create, "async")
        except GraphBubbleUp:
            raise
        except Exception as exc:
            error = str(exc) if isinstance(exc, AssertionError) else repr(exc)
            result.failures.append(f"{case.name}: {error}")
        result.tests_passed += error is None
        result.tests_failed += error is not None
        if progress.on_test_result:
            progress.on_test_result(cap, case.name, error is None, error)
    result.passed = result.tests_failed == 0
    if progress.on_capability_end:
        progress.on_capability_end(cap)
    return result


async def validate(
    registered: RegisteredCheckpointer,
    *,
    capabilities: set[str] | None = None,
    progress: ProgressCallbacks | None = None,
) -> CapabilityReport:
    """Run the checkpointer suite on a registered saver factory.

    Args:
        registered: From ``@checkpointer_test``.
        capabilities: Names of the capabilities to run (default: all).
        progress: Callbacks for output while running (default: none).

    Returns:
        The report: one ``CapabilityResult`` per capability.

    Raises:
        ValueError: For an unknown capability name.
    """
    names = ALL_CAPABILITIES if capabilities is None else capabilities
    wanted = {Capability(c) for c in names}
    report = CapabilityReport(registered.name)
    async with registered.enter_lifespan():
        for cap in Capability:
            if cap not in wanted or cap.value in registered.skip_capabilities:
                report.results[cap.value] = CapabilityResult(tests_skipped=1)
                continue
            report.results[cap.value] = await _run_capability(
                registered, cap.value, progress or ProgressCallbacks()
            )
    return report
