"""The sans-IO superstep engine and its two drivers.

Nothing in this package imports asyncio or threads except the drivers
(``_sync.py`` and ``_async.py``), and nothing imports a storage backend.
"""
