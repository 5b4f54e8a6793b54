"""Caches of node results: ``BaseCache`` and ``InMemoryCache``.

``from stategraph.cache.memory import InMemoryCache`` works like LangGraph's.
"""
