"""The prebuilt import paths, names and deprecations match LangGraph's."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from typing import Any

import pytest
from _prebuilt_diff import Lib, same

MODULES = {
    "prebuilt": {"ToolCallTransformer"},  # needs the v3 stream protocol
    "prebuilt.tool_node": set(),
    "prebuilt.chat_agent_executor": set(),
    "prebuilt.interrupt": set(),
    "prebuilt.tool_validator": set(),
}
NAMES = {
    "prebuilt.tool_node": [
        "ToolNode",
        "InjectedState",
        "InjectedStore",
        "ToolRuntime",
        "tools_condition",
        "ToolCallRequest",
        "ToolCallWithContext",
        "ToolCallWrapper",
        "AsyncToolCallWrapper",
        "ToolInvocationError",
        "msg_content_output",
        "INVALID_TOOL_NAME_ERROR_TEMPLATE",
        "TOOL_CALL_ERROR_TEMPLATE",
        "TOOL_EXECUTION_ERROR_TEMPLATE",
        "TOOL_INVOCATION_ERROR_TEMPLATE",
    ],
    "prebuilt.chat_agent_executor": [
        "AgentState",
        "AgentStatePydantic",
        "AgentStateWithStructuredResponse",
        "AgentStateWithStructuredResponsePydantic",
        "create_react_agent",
        "create_tool_calling_executor",
        "Prompt",
        "StructuredResponse",
        "StructuredResponseSchema",
    ],
    "prebuilt.interrupt": [
        "HumanInterruptConfig",
        "ActionRequest",
        "HumanInterrupt",
        "HumanResponse",
    ],
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_public_names_exist(module: str) -> None:
    reference = importlib.import_module(f"langgraph.{module}")
    ours = importlib.import_module(f"stategraph.{module}")
    promised = set(getattr(reference, "__all__", ())) | set(NAMES.get(module, ()))
    assert sorted(n for n in promised - MODULES[module] if not hasattr(ours, n)) == []
    assert [n for n in getattr(ours, "__all__", ()) if not hasattr(ours, n)] == []


def test_templates_are_langgraphs() -> None:
    def program(lib: Lib) -> Any:
        names = [n for n in NAMES["prebuilt.tool_node"] if n.endswith("TEMPLATE")]
        return [getattr(lib.tool_node, n) for n in names]

    assert "{requested_tool}" in same(program)[0]


def test_human_interrupt_types_warn_like_langgraph() -> None:
    def program(lib: Lib) -> Any:
        types = lib.interrupt_types
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            request = types.HumanInterrupt(
                action_request=types.ActionRequest(action="run", args={"x": 1}),
                config=types.HumanInterruptConfig(
                    allow_ignore=True,
                    allow_respond=False,
                    allow_edit=True,
                    allow_accept=True,
                ),
                description="check",
            )
        response = types.HumanResponse(type="accept", args=None)
        hints = {
            n: sorted(getattr(types, n).__annotations__)
            for n in ("HumanInterruptConfig", "ActionRequest", "HumanInterrupt")
        }
        deprecated = [getattr(types, n).__deprecated__ for n in sorted(hints)]
        return [request, response, len(record), hints, deprecated]

    ours = same(program)
    assert ours[0]["action_request"] == {"action": "run", "args": {"x": 1}}
    assert ours[2] == 0  # TypedDict calls build dicts; nothing to warn from
    assert all("moved to `langchain.agents.interrupt`" in d for d in ours[4])


@pytest.mark.parametrize(
    "name",
    ["AgentState", "AgentStatePydantic", "AgentStateWithStructuredResponse"],
)
def test_agent_states_are_deprecated(name: str) -> None:
    def program(lib: Lib) -> Any:
        cls = getattr(lib.agent, name)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            cls(messages=[])
        seen = [(r.category.__name__, str(r.message)) for r in record]
        return [seen, cls.__deprecated__, sorted(cls.__annotations__)]

    ours = same(program)
    assert "has been" in ours[1]
    if name == "AgentStatePydantic":  # a class call; TypedDict calls build dicts
        assert ours[0][0][0] == "LangGraphDeprecatedSinceV10"


def test_importing_prebuilt_leaves_the_core_light() -> None:
    code = (
        "import sys\n"
        "import stategraph.graph, stategraph.types\n"
        "print(sorted(m for m in sys.modules if m.startswith('stategraph.prebuilt')))\n"
        "import stategraph.testing\n"
        "print('langchain_core' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["[]", "False"]
