"""Long-term memory stores, under LangGraph's import paths.

``stategraph.store.base`` holds the ``BaseStore`` contract and its records;
the backends are ``stategraph.store.memory`` (``InMemoryStore``),
``stategraph.store.sqlite`` (``SqliteStore``, ``.aio.AsyncSqliteStore``) and
``stategraph.store.postgres`` (``PostgresStore``, ``.aio.AsyncPostgresStore``).
"""
