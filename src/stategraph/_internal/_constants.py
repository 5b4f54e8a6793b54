"""Re-export of the reserved names (LangGraph's ``langgraph._internal._constants``)."""

from stategraph._constants import *  # noqa: F403
from stategraph._constants import (  # noqa: F401  # noqa: E402, F401
    CONF,
    CONFIG_KEY_CALL,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_NODE_ERROR,
    CONFIG_KEY_NODE_FINISHED,
    CONFIG_KEY_READ,
    CONFIG_KEY_READ_STATE,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_RUNNER_SUBMIT,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_STREAM_MESSAGES_V2,
    CONFIG_KEY_STRICT_RESUME,
    CONFIG_KEY_TASK_ID,
    CONFIG_KEY_TIMED_ATTEMPT_OBSERVER,
    END,
    ERROR,
    ERROR_SOURCE_NODE,
    INTERRUPT,
    NO_WRITES,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
    PREVIOUS,
    PULL,
    PUSH,
    RESUME,
    RETURN,
    SNAPSHOT_BUMPS,
    START,
    TAG_HIDDEN,
    TASKS,
)
from stategraph.channels._binop import OVERWRITE  # noqa: F401

_CHECKPOINT_COORDINATE_KEYS = (
    "thread_id",
    "checkpoint_ns",
    "checkpoint_id",
    "checkpoint_map",
)
_TAG_HIDDEN = TAG_HIDDEN
