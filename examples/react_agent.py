"""A ReAct agent with a scripted model: it calls a tool, pauses before running
it (a human could review the call), then resumes and answers.

Runs without a network: ``FakeToolCallingModel`` plays the chat model.
"""

from __future__ import annotations

import warnings

from langchain_core.tools import tool

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.prebuilt import create_react_agent
from stategraph.testing import FakeToolCallingModel
from stategraph.warnings import LangGraphDeprecatedSinceV10

# create_react_agent is deprecated in LangGraph 1.x and warns the same way here.
warnings.filterwarnings("ignore", category=LangGraphDeprecatedSinceV10)


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


model = FakeToolCallingModel(
    tool_calls=[[{"name": "add", "args": {"a": 40, "b": 2}, "id": "call-1"}], []]
)
agent = create_react_agent(
    model, [add], checkpointer=InMemorySaver(), interrupt_before=["tools"]
)
config = {"configurable": {"thread_id": "demo"}}

agent.invoke({"messages": [("user", "What is 40 + 2?")]}, config)
paused = agent.get_state(config)
print("paused before:", paused.next, paused.values["messages"][-1].tool_calls)

result = agent.invoke(None, config)  # resume: run the tool, then the model
for message in result["messages"]:
    print(f"{message.type}: {message.content}")
