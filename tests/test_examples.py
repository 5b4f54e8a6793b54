"""The examples run and print what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("approval.py", "'approved': True, 'status': 'paid 42'}"),
        ("map_reduce.py", "Why did the duck cross the road?"),
        ("loop.py", "'rounds': 3"),
        ("react_agent.py", "tool: 42"),
    ],
)
def test_example_runs(script: str, expected: str) -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert expected in out.stdout
