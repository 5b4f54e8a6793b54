"""The cheap UTC timestamp matches ``datetime.now(timezone.utc).isoformat()``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from stategraph import _clock


def test_utc_now_iso_parses_and_is_current() -> None:
    before = datetime.now(timezone.utc)
    stamp = _clock.utc_now_iso()
    after = datetime.now(timezone.utc)
    parsed = datetime.fromisoformat(stamp)
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)
    # datetime.now rounds to the microsecond; the stamp truncates
    assert before - timedelta(microseconds=1) <= parsed <= after


@pytest.mark.parametrize("nanos", [0, 7_000, 999_999_999, 1_700_000_000_123_456_789])
def test_utc_now_iso_has_isoformat_shape(
    monkeypatch: pytest.MonkeyPatch, nanos: int
) -> None:
    monkeypatch.setattr(_clock.time, "time_ns", lambda: nanos)
    expected = datetime.fromtimestamp(nanos // 1000 / 1e6, timezone.utc)
    expected = expected.replace(microsecond=(nanos // 1000) % 1_000_000)
    assert _clock.utc_now_iso() == expected.isoformat()
    # the cached prefix of this second is reused on the next call
    assert _clock.utc_now_iso() == expected.isoformat()
