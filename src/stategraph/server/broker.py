"""Run streams and cancel signals of the server: the broker interface.

``create_app(graphs, broker=...)`` takes any ``Broker``; the default is a
``InMemoryBroker`` (one process). ``stategraph.server.redis.RedisBroker`` shares
streams and cancels between the processes of a scaled-out server.
"""

from stategraph.server._broker import (
    RETAIN_SECONDS as RETAIN_SECONDS,
    Broker as Broker,
    Frame as Frame,
    InMemoryBroker as InMemoryBroker,
    RunStream as RunStream,
    ThreadWatch as ThreadWatch,
)

__all__ = (
    "Broker",
    "InMemoryBroker",
    "RunStream",
    "ThreadWatch",
    "Frame",
    "RETAIN_SECONDS",
)
