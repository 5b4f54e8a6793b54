"""The server on PostgreSQL: what ``stategraph serve`` is built from.

Needs ``stategraph[postgres,server]``. ``create_app(graphs, postgres=uri)``
(or ``PostgresOptions``) keeps assistants, threads, runs and crons
(``PostgresStorage``), checkpoints and the store in one database, queues
runs with ``PostgresRunQueue`` (``FOR UPDATE SKIP LOCKED``, leases) and
streams them with ``PostgresBroker`` unless a broker is given (such as
``stategraph.server.redis.RedisBroker``).
"""

from stategraph.server._pg_broker import PostgresBroker as PostgresBroker
from stategraph.server._pg_queue import PostgresRunQueue as PostgresRunQueue
from stategraph.server._postgres import PostgresOptions as PostgresOptions
from stategraph.server._storage.postgres import PostgresStorage as PostgresStorage

__all__ = ("PostgresBroker", "PostgresOptions", "PostgresRunQueue", "PostgresStorage")
