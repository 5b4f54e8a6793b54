"""``interrupt()``: pause the running task and surface a value to the client.

Reads the task's scratchpad to return resume values on re-execution.
"""

from __future__ import annotations

from typing import Any

from stategraph._config import get_config
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    RESUME,
)
from stategraph._types import Interrupt, _interrupt_id
from stategraph.errors import GraphInterrupt


def interrupt(value: Any, *, response_schema: Any = None) -> Any:
    """Pause the graph inside a node and return the human's answer on resume.

    The first call raises ``GraphInterrupt`` carrying ``value``; the run stops
    and the client sees it under ``"__interrupt__"``. Resuming with
    ``Command(resume=answer)`` re-runs the node from its start, and this call
    then returns ``answer``. Several calls in one node are matched by order.
    A checkpointer is required.

    Args:
        value: What to show the client (JSON-serialisable is best).
        response_schema: Optional schema of the expected answer, shown to clients.

    Returns:
        The resume value for this call.

    Raises:
        GraphInterrupt: On the first call, to pause the run.
    """
    conf = get_config()[CONF]
    scratchpad = conf[CONFIG_KEY_SCRATCHPAD]
    idx = scratchpad.interrupt_counter()
    if scratchpad.resume and idx < len(scratchpad.resume):
        conf[CONFIG_KEY_SEND]([(RESUME, scratchpad.resume[: idx + 1])])
        return scratchpad.resume[idx]
    resumed = scratchpad.get_null_resume(True)
    if resumed is not None:
        scratchpad.resume.append(resumed)
        conf[CONFIG_KEY_SEND]([(RESUME, scratchpad.resume)])
        return resumed
    raise GraphInterrupt(
        (
            Interrupt(
                value=value,
                id=_interrupt_id(
                    conf[CONFIG_KEY_CHECKPOINT_NS], len(scratchpad.resume)
                ),
                response_schema=response_schema,
            ),
        )
    )
