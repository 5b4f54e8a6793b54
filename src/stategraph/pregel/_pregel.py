"""``Pregel``: the runnable graph object (``CompiledStateGraph`` builds on it).

Every public method is a thin wrapper: it prepares a ``Run`` and hands the
engine's generator to the sync or async driver.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from stategraph._constants import NS_END, NS_SEP, TASKS
from stategraph._engine import _delta
from stategraph._engine._algo import consumers_of, plain_checkpoints_of, unsteady_of
from stategraph._engine._loop import Loop
from stategraph._engine._node import PregelNode
from stategraph._managed import is_managed_value
from stategraph._types import CachePolicy, RetryPolicy
from stategraph.channels import BaseChannel, DeltaChannel, Topic, UntrackedValue
from stategraph.channels.base import MISSING
from stategraph.pregel import _checkpoint as _checkpoint_helpers
from stategraph.pregel._draw import DrawMixin
from stategraph.pregel._events import LangChainEvents
from stategraph.pregel._migrate import migrate_pending_sends
from stategraph.pregel._run_methods import RunMethods
from stategraph.pregel._runnable_methods import RunnableMethods
from stategraph.pregel._schemas import SchemaMixin
from stategraph.pregel._state_methods import StateMethods
from stategraph.pregel._stream_events import StreamEventsMixin
from stategraph.pregel._validate import validate_pregel
from stategraph.warnings import LangGraphDeprecatedSinceV10


class Pregel(
    StreamEventsMixin,
    LangChainEvents,
    SchemaMixin,
    DrawMixin,
    RunnableMethods,
    RunMethods,
    StateMethods,
):
    """A graph of nodes exchanging messages through channels, run in supersteps.

    Build one with ``StateGraph(...).compile()`` or directly from
    ``NodeBuilder`` nodes and channels.

    Args:
        nodes: Node name to ``PregelNode`` (or ``NodeBuilder``).
        channels: Channel name to channel (or managed value).
        input_channels: Channel(s) the input is written to.
        output_channels: Channel(s) the output is read from.
        stream_mode: Default stream mode.
        stream_channels: Channels streamed in ``values`` mode.
        interrupt_before_nodes: Nodes to pause before.
        interrupt_after_nodes: Nodes to pause after.
        checkpointer: Saver for state persistence.
        store: Long-term memory store.
        cache: Cache for node results.
        retry_policy: Default retry policies of nodes.
        cache_policy: Default cache policy of nodes.
        context_schema: Schema of ``context=``.
        config: Default config of runs.
        trigger_to_nodes: Channel to nodes it triggers (computed when absent).
        name: Name of the graph.
        debug: Print debug output.
    """

    def __init__(
        self,
        *,
        nodes: Mapping[str, Any],
        channels: Mapping[str, Any] | None,
        input_channels: str | Sequence[str],
        output_channels: str | Sequence[str],
        stream_mode: Any = "values",
        stream_eager: bool = False,
        stream_channels: str | Sequence[str] | None = None,
        interrupt_before_nodes: Any = (),
        interrupt_after_nodes: Any = (),
        step_timeout: float | None = None,
        debug: bool | None = None,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] = (),
        cache_policy: CachePolicy | None = None,
        context_schema: Any = None,
        config: dict[str, Any] | None = None,
        trigger_to_nodes: Mapping[str, Sequence[str]] | None = None,
        name: str = "LangGraph",
        auto_validate: bool = True,
        **kwargs: Any,
    ) -> None:
        self.nodes: dict[str, PregelNode] = _named_nodes(nodes)
        self.channels: dict[str, Any] = _with_tasks_channel(channels)
        self.input_channels = input_channels
        self.output_channels = output_channels
        self.stream_mode = stream_mode
        self.stream_eager = stream_eager
        self.stream_channels = stream_channels
        self.interrupt_before_nodes = interrupt_before_nodes
        self.interrupt_after_nodes = interrupt_after_nodes
        self.step_timeout = step_timeout
        self.debug = bool(debug)
        self.checkpointer = checkpointer
        self.store = store
        self.cache = cache
        self.retry_policy = _retry_policies(retry_policy)
        self.cache_policy = cache_policy
        self.context_schema = _context_schema(context_schema, kwargs)
        self.config = config
        self.name = name
        self._trigger_to_nodes = trigger_to_nodes
        self.output_mapper: Any = None
        self.state_mapper: Any = None
        # Rewrites checkpoints of older formats as they are loaded.
        self.migrate_checkpoint: Any = migrate_pending_sends
        self._finalized = False
        if auto_validate:
            self.validate()

    def _migrate_checkpoint(self, checkpoint: Any) -> None:
        """Rewrite a checkpoint of an older format in place (LangGraph's name)."""
        self.migrate_checkpoint(checkpoint)

    # -- compiled layout ----------------------------------------------------

    def _finalize(self) -> None:
        """Compute the lookups the engine uses on every step (once)."""
        specs = {k: v for k, v in self.channels.items() if isinstance(v, BaseChannel)}
        self._specs = specs
        self.managed = {k: v for k, v in self.channels.items() if is_managed_value(v)}
        if self._trigger_to_nodes is None:
            t2n: dict[str, list[str]] = {}
            for name, node in self.nodes.items():
                for trigger in node.triggers:
                    t2n.setdefault(trigger, []).append(name)
            self._trigger_to_nodes = t2n
        self.finishable = tuple(
            k for k, ch in specs.items() if type(ch).finish is not BaseChannel.finish
        )
        # Channels a step that does not write them may change (``update(())``).
        self.unsteady = unsteady_of(specs)
        self.consumers = consumers_of(specs)
        self.plain_checkpoints = plain_checkpoints_of(specs)
        self._delta_channels = tuple(
            k for k, ch in specs.items() if isinstance(ch, DeltaChannel)
        )
        self._untracked_channels = frozenset(
            k for k, ch in specs.items() if isinstance(ch, UntrackedValue)
        )
        self._finalized = True

    @property
    def channel_specs(self) -> Mapping[str, BaseChannel[Any, Any, Any]]:
        """The graph's channels (managed values left out), as declared."""
        if not self._finalized:
            self._finalize()
        return self._specs

    @property
    def delta_channels(self) -> tuple[str, ...]:
        """Names of the graph's ``DeltaChannel``s."""
        if not self._finalized:
            self._finalize()
        return self._delta_channels

    @property
    def untracked_channels(self) -> frozenset[str]:
        """Names of the graph's ``UntrackedValue`` channels (never saved)."""
        if not self._finalized:
            self._finalize()
        return self._untracked_channels

    @property
    def delta_snapshot_bound(self) -> int:
        """Supersteps after which a delta channel snapshots even if unwritten."""
        # Read at each run, so tests (and users) can patch the module value.
        return _checkpoint_helpers.DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT

    @property
    def trigger_to_nodes(self) -> Mapping[str, Sequence[str]]:
        """Channel name to the nodes its update can trigger."""
        if not self._finalized:
            self._finalize()
        return self._trigger_to_nodes  # type: ignore[return-value]

    @property
    def stream_channels_list(self) -> Sequence[str]:
        """Channels streamed in ``values`` mode, as a list."""
        sc = self.stream_channels_asis
        return [sc] if isinstance(sc, str) else sc

    @property
    def stream_channels_asis(self) -> str | Sequence[str]:
        """Channels streamed in ``values`` mode, as configured."""
        return self.stream_channels or [
            k
            for k, v in self.channels.items()
            if isinstance(v, BaseChannel) and k != TASKS
        ]

    def channels_from(
        self,
        values: Mapping[str, Any],
        histories: Mapping[str, Any] | None = None,
    ) -> dict[str, BaseChannel[Any, Any, Any]]:
        """Fresh channels restored from checkpoint ``values``.

        ``histories`` (from ``get_delta_channel_history``) rebuild the
        channels a checkpoint stores as writes instead of a value.
        """
        if not self._finalized:
            self._finalize()
        channels = {
            k: spec.from_checkpoint(values.get(k, MISSING))
            for k, spec in self._specs.items()
        }
        for k, history in (histories or {}).items():
            channels[k] = _delta.replay(self._specs[k], history)
        return channels

    def read_output(self, loop: Loop) -> Any:
        """Read the run's output channels at the end of a run."""
        from stategraph._engine._io import read_channels

        return read_channels(loop.channels, loop.output_keys)

    def coerce_context(self, context: Any) -> Any:
        """Coerce ``context=`` into the context schema when it is a dict."""
        schema = self.context_schema
        if context is None or schema is None or not isinstance(context, dict):
            return context
        if hasattr(schema, "model_validate"):
            return schema.model_validate(context)
        if hasattr(schema, "__dataclass_fields__"):
            return schema(**context)
        return context

    def validate_keys(self, keys: str | Sequence[str]) -> None:
        """Check that ``keys`` name channels of this graph."""
        for key in [keys] if isinstance(keys, str) else keys:
            if key not in self.channels:
                raise KeyError(f"Key {key} not found in channels")

    def cache_key_for(self, task: Any) -> Any:
        """Set and return the cache key of ``task`` when its node has a cache policy."""
        policy = task.node.cache_policy or self.cache_policy
        if policy is None:
            return None
        from xxhash import xxh3_128_hexdigest

        from stategraph._constants import CACHE_NS_WRITES
        from stategraph._engine._calls import is_call
        from stategraph._types import CacheKey

        if is_call(task):
            # Task calls are keyed by function and arguments, as LangGraph does.
            args, kwargs = task.input
            key = policy.key_func(*args, **kwargs)
            ns: tuple[str, ...] = (CACHE_NS_WRITES, task.node.cache_identity)
        else:
            key = policy.key_func(task.input)
            ns = (CACHE_NS_WRITES, task.node.cache_identity, task.name)
        task.cache_key = CacheKey(
            ns,
            xxh3_128_hexdigest(key.encode() if isinstance(key, str) else key),
            policy.ttl,
        )
        return task.cache_key

    def node_for_call(self, call: Any) -> PregelNode:
        """The node that runs a task function called by a node."""
        from stategraph.pregel._call import call_node

        return call_node(call)

    def validate(self) -> Pregel:
        """Check the graph's nodes, channels and input/output keys.

        Raises:
            ValueError: Naming the reserved or unknown channel or node.
            TypeError: If a node is not a ``PregelNode``.
        """
        validate_pregel(self)
        self._finalize()
        return self

    def with_config(
        self, config: dict[str, Any] | None = None, **kwargs: Any
    ) -> Pregel:
        """A copy of the graph whose runs use ``config`` by default."""
        from stategraph._config import merge_configs

        return self.copy({"config": merge_configs(self.config, config, kwargs)})

    def map(self) -> Any:
        """A runnable that runs this graph on each item of a list input."""
        from stategraph.pregel._each import EachItem

        return EachItem(self)

    def copy(self, update: dict[str, Any] | None = None) -> Pregel:
        """A shallow copy with the attributes in ``update`` replaced."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        update = dict(update or {})
        if "trigger_to_nodes" in update:
            update["_trigger_to_nodes"] = update.pop("trigger_to_nodes")
        new.__dict__.update(update)
        if update.keys() & {"nodes", "channels", "_trigger_to_nodes"}:
            # The layout changed: recompute the lookups derived from it.
            new._finalized = False
            if "_trigger_to_nodes" not in update:
                new._trigger_to_nodes = None
            new.nodes = _named_nodes(new.nodes)
        return new


def _named_nodes(nodes: Mapping[str, Any]) -> dict[str, PregelNode]:
    """Nodes by name, ``NodeBuilder``s built, each node told its name."""
    built = {k: v.build() if hasattr(v, "build") else v for k, v in nodes.items()}
    for key, node in built.items():
        if isinstance(node, PregelNode):  # others are rejected by validate()
            node.name = key
    return built


def _with_tasks_channel(channels: Mapping[str, Any] | None) -> dict[str, Any]:
    """The graph's channels plus the reserved one ``Send`` packets go through."""
    out = dict(channels or {})
    if TASKS in out and not isinstance(out[TASKS], Topic):
        raise ValueError(
            f"Channel '{TASKS}' is reserved and cannot be used in the graph."
        )
    out[TASKS] = Topic(object, accumulate=False)
    return out


def _retry_policies(
    retry_policy: RetryPolicy | Sequence[RetryPolicy],
) -> tuple[RetryPolicy, ...]:
    """The graph's default retry policies, as a tuple."""
    # One RetryPolicy is itself a NamedTuple: tell it from a sequence by fields.
    if hasattr(retry_policy, "_fields"):
        return (retry_policy,)  # type: ignore[return-value]  # narrowed by _fields
    return tuple(retry_policy)


def _context_schema(context_schema: Any, kwargs: dict[str, Any]) -> Any:
    """``context_schema``, else the deprecated ``config_type`` (with a warning)."""
    if (config_type := kwargs.get("config_type")) is not None:
        warnings.warn(
            "`config_type` is deprecated and will be removed. "
            "Please use `context_schema` instead.",
            category=LangGraphDeprecatedSinceV10,
            # Past this helper and ``Pregel.__init__``.
            stacklevel=3,
        )
        return config_type if context_schema is None else context_schema
    return context_schema


def task_namespace(name: str, task_id: str, parent_ns: str = "") -> str:
    """The checkpoint namespace of a subgraph running in a task."""
    ns = f"{name}{NS_END}{task_id}"
    return f"{parent_ns}{NS_SEP}{ns}" if parent_ns else ns


def _register_protocol() -> None:
    from stategraph.pregel.protocol import PregelProtocol

    PregelProtocol.register(Pregel)


_register_protocol()
