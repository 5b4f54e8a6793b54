"""Reserved channel names, config keys and namespace separators.

These names leak into checkpoints and task paths, so they match LangGraph's.
"""

from __future__ import annotations

import sys

START = sys.intern("__start__")
END = sys.intern("__end__")
TAG_NOSTREAM = sys.intern("nostream")
TAG_HIDDEN = sys.intern("langsmith:hidden")

INPUT = sys.intern("__input__")
INTERRUPT = sys.intern("__interrupt__")
RESUME = sys.intern("__resume__")
ERROR = sys.intern("__error__")
NO_WRITES = sys.intern("__no_writes__")
TASKS = sys.intern("__pregel_tasks")
RETURN = sys.intern("__return__")
PREVIOUS = sys.intern("__previous__")
SCHEDULED = sys.intern("__scheduled__")
CACHE_NS_WRITES = sys.intern("__pregel_ns_writes")
PUSH = sys.intern("__pregel_push")
PULL = sys.intern("__pregel_pull")
NULL_TASK_ID = sys.intern("00000000-0000-0000-0000-000000000000")
SELF = sys.intern("__self__")

CONF = sys.intern("configurable")
CONFIG_KEY_SEND = sys.intern("__pregel_send")
CONFIG_KEY_READ = sys.intern("__pregel_read")
CONFIG_KEY_CHECKPOINTER = sys.intern("__pregel_checkpointer")
CONFIG_KEY_STREAM = sys.intern("__pregel_stream")
CONFIG_KEY_CACHE = sys.intern("__pregel_cache")
CONFIG_KEY_RESUMING = sys.intern("__pregel_resuming")
CONFIG_KEY_TASK_ID = sys.intern("__pregel_task_id")
CONFIG_KEY_THREAD_ID = sys.intern("thread_id")
CONFIG_KEY_CHECKPOINT_MAP = sys.intern("checkpoint_map")
CONFIG_KEY_CHECKPOINT_ID = sys.intern("checkpoint_id")
CONFIG_KEY_CHECKPOINT_NS = sys.intern("checkpoint_ns")
CONFIG_KEY_SCRATCHPAD = sys.intern("__pregel_scratchpad")
CONFIG_KEY_DURABILITY = sys.intern("__pregel_durability")
CONFIG_KEY_RUNTIME = sys.intern("__pregel_runtime")
CONFIG_KEY_RESUME_MAP = sys.intern("__pregel_resume_map")
CONFIG_KEY_TASK = sys.intern("__stategraph_task")
CONFIG_KEY_REPLAY_STATE = sys.intern("__pregel_replay_state")
CONFIG_KEY_CALL = sys.intern("__pregel_call")
CONFIG_KEY_READ_STATE = sys.intern("__pregel_read_state")
CONFIG_KEY_NODE_ERROR = sys.intern("__pregel_node_error")
CONFIG_KEY_NODE_FINISHED = sys.intern("__pregel_node_finished")
CONFIG_KEY_RUNNER_SUBMIT = sys.intern("__pregel_runner_submit")
CONFIG_KEY_STREAM_MESSAGES_V2 = sys.intern("__pregel_stream_messages_v2")
CONFIG_KEY_STRICT_RESUME = sys.intern("__pregel_strict_resume")
CONFIG_KEY_TIMED_ATTEMPT_OBSERVER = sys.intern("__pregel_timed_attempt_observer")
ERROR_SOURCE_NODE = sys.intern("__error_source_node__")
SNAPSHOT_BUMPS = sys.intern("__snapshot_bumps__")

NS_SEP = sys.intern("|")
NS_END = sys.intern(":")

# Writes to these channels are bookkeeping, never applied to state channels;
# the negative indices are the ones savers store them under.
WRITES_IDX_MAP = {ERROR: -1, SCHEDULED: -2, INTERRUPT: -3, RESUME: -4}
# Write keys that never reach a channel.
SKIP_WRITES = frozenset(
    {NO_WRITES, PUSH, RESUME, INTERRUPT, RETURN, ERROR, "__error_source_node__"}
)
# Names a trigger never consumes.
RESERVED = frozenset({TAG_HIDDEN, INPUT, INTERRUPT, RESUME, ERROR, NO_WRITES})
