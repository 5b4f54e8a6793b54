"""LangGraph's private msgpack settings module, for code that imports it.

``STRICT_MSGPACK_ENABLED`` makes a ``JsonPlusSerializer`` built without
``allowed_msgpack_modules`` load strictly (unlisted types come back as plain
data); it starts from the ``LANGGRAPH_STRICT_MSGPACK`` environment variable,
like LangGraph's, and may be changed at run time. ``_SENTINEL`` is the
"argument not given" default of ``allowed_msgpack_modules``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

STRICT_MSGPACK_ENABLED = os.getenv("LANGGRAPH_STRICT_MSGPACK", "false").lower() in (
    "1",
    "true",
    "yes",
)

_SENTINEL: Any = object()

AllowedMsgpackModules = Iterable[tuple[str, ...] | type]
"""Classes, or ``(module, name)`` pairs naming them."""
