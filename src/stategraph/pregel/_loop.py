"""LangGraph's loop class names (``langgraph.pregel._loop``) for code importing them.

stategraph has one sans-IO loop (``_engine._loop.Loop``) driven by a sync or an
async driver, where LangGraph has a base loop and two subclasses; all three
names refer to it, so ``isinstance`` checks and patches reach the real loop.
"""

from __future__ import annotations

from stategraph._engine._loop import Loop

PregelLoop = Loop
SyncPregelLoop = Loop
AsyncPregelLoop = Loop

__all__ = ["AsyncPregelLoop", "PregelLoop", "SyncPregelLoop"]
