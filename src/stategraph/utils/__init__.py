"""Legacy utilities package, kept at LangGraph's ``langgraph.utils`` path."""
