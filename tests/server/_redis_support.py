"""The test Redis for the broker tests: probed once, one key prefix per test.

An unreachable server skips these tests, except with ``CI=true``, where they
fail. Every key under a test's prefix is deleted after the test.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

URL = os.environ.get("STATEGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """The test server's URL, after checking that it answers."""
    probe = redis.Redis.from_url(
        URL, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    try:
        probe.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable at {URL} with CI=true: {exc}")
        pytest.skip(f"Redis unreachable at {URL}: {exc}")
    finally:
        probe.close()
    return URL


def new_prefix() -> str:
    """A key prefix no other test uses."""
    return f"sgtest:{uuid.uuid4().hex}"


def delete_prefix(prefix: str) -> int:
    """Delete every key under ``prefix``; returns how many there were."""
    client = redis.Redis.from_url(URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()
