#!/usr/bin/env python3
"""Time the prebuilt ReAct agent and ToolNode on langgraph and on stategraph.

Each library runs in its own subprocess with the same script: a
``create_react_agent`` over a scripted fake model (no network) that calls one
tool ``M`` times before answering (it reads only the last message), with an
``InMemorySaver``, run to the end; and a ``ToolNode`` invoked directly with one
tool call. Prints µs per superstep of the agent (model and tool steps) and µs
per ``ToolNode.invoke``. The fake model and the tool are langchain-core code,
the same on both sides.

Usage: ``python benchmarks/prebuilt_agent.py [--rounds M] [--repeat R]
[--processes P]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
lib, rounds, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prebuilt = __import__(lib + ".prebuilt", fromlist=["x"])
memory = __import__(lib + ".checkpoint.memory", fromlist=["x"])
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from stategraph.testing import FakeToolCallingModel

@tool
def add(a: int, b: int) -> int:
    "Add two numbers."
    return a + b

call = {"name": "add", "args": {"a": 1, "b": 2}, "id": "c", "type": "tool_call"}
best = float("inf")
for r in range(repeat):
    model = FakeToolCallingModel(tool_calls=[[call]] * rounds + [[]])
    # the model reads only the last message, so its answers stay small
    graph = prebuilt.create_react_agent(
        model,
        [add],
        prompt=lambda s: s["messages"][-1:],
        checkpointer=memory.InMemorySaver(),
    )
    config = {"configurable": {"thread_id": str(r)}, "recursion_limit": 10 * rounds}
    start = time.perf_counter()
    graph.invoke({"messages": [("user", "hi")]}, config)
    best = min(best, time.perf_counter() - start)
steps = 2 * rounds + 1
node = prebuilt.ToolNode([add])
runtime = __import__(lib + ".runtime", fromlist=["x"]).Runtime()
cfg = {"configurable": {"__pregel_runtime": runtime}}
state = {"messages": [AIMessage("", tool_calls=[call])]}
tool_us = float("inf")
for _ in range(repeat):
    n = 100
    start = time.perf_counter()
    for _ in range(n):
        node.invoke(state, cfg)
    tool_us = min(tool_us, (time.perf_counter() - start) / n * 1e6)
print(json.dumps({"agent_us_per_step": best / steps * 1e6, "toolnode_us": tool_us}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=50, help="tool calls per run")
    ap.add_argument("--repeat", type=int, default=5, help="runs; the best is kept")
    ap.add_argument("--processes", type=int, default=3, help="fresh processes per lib")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    results: dict[str, dict[str, float]] = {}
    # Alternate the libraries and keep each one's best: the machine may be
    # shared, and load moves both sides alike only when they interleave.
    for _ in range(args.processes):
        for lib in ("langgraph", "stategraph"):
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, lib, str(args.rounds), str(args.repeat)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            run = json.loads(out.stdout.strip().splitlines()[-1])
            best = results.setdefault(lib, run)
            for key, value in run.items():
                best[key] = min(best[key], value)
    print(f"{'case':<32}{'langgraph':>12}{'stategraph':>12}{'ratio':>8}")
    for key, label in (
        ("agent_us_per_step", f"react agent, M={args.rounds} (µs/step)"),
        ("toolnode_us", "ToolNode.invoke, 1 call (µs)"),
    ):
        lg, sg = results["langgraph"][key], results["stategraph"][key]
        print(f"{label:<32}{lg:>12.0f}{sg:>12.0f}{lg / sg:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
