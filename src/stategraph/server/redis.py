"""``RedisBroker``: the server's run streams and cancel signals in Redis.

Needs ``stategraph[redis]``. Give every API and worker process one, with the
same URL and prefix: ``create_app(graphs, broker=RedisBroker(url))``.
"""

from stategraph.server._redis_broker import RedisBroker as RedisBroker

__all__ = ("RedisBroker",)
