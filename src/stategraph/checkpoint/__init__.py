"""Checkpoint savers: records, the saver base class, serializers and implementations.

- ``stategraph.checkpoint.base``: checkpoint records and ``BaseCheckpointSaver``;
- ``stategraph.checkpoint.memory``: ``InMemorySaver``;
- ``stategraph.checkpoint.serde``: the allow-list serializer used by every saver.
"""
