"""Compatibility shims for LangGraph's private ``langgraph._internal`` modules.

Some programs and test suites import these paths; they re-export ours.
"""
