"""The channel protocol: ``BaseChannel`` and the ``MISSING`` marker of empty state.

A channel holds one key of a graph's state. The engine feeds it the writes of
each superstep, reads it back, and persists it through ``checkpoint`` and
``from_checkpoint``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

from stategraph.errors import EmptyChannelError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = (
    "MISSING",
    "BaseChannel",
    "Checkpoint",
    "EmptyChannelError",
    "SingleValueChannel",
    "Update",
    "Value",
)

Value = TypeVar("Value")
Update = TypeVar("Update")
Checkpoint = TypeVar("Checkpoint")

# Allocates an instance without running ``__init__``; the channels' fast
# ``copy``/``from_checkpoint`` paths fill the slots themselves.
_new = object.__new__


class _MissingType:
    """Type of the ``MISSING`` singleton."""

    __slots__ = ()
    _instance: _MissingType | None = None

    def __new__(cls) -> _MissingType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        # Pickle and deepcopy hand back the module-level singleton, so that
        # ``is MISSING`` checks survive a round trip.
        return "MISSING"


MISSING: Final[Any] = _MissingType()
"""Marks a channel slot or checkpoint entry that holds no value."""


class BaseChannel(Generic[Value, Update, Checkpoint], ABC):
    """Base class of every channel.

    Args:
        typ: The type of the value stored in the channel.
        key: The state key the channel is bound to (used in error messages).

    Attributes:
        typ: The type of the value stored in the channel.
        key: The state key the channel is bound to.
    """

    __slots__ = ("key", "typ")

    typ: Any
    key: str

    # Set per class by ``__init_subclass__``: a class whose own body says
    # ``_OWN_INIT = True`` is created without running ``__init__`` when copied;
    # anything subclassing it (user code) goes through its constructor, as
    # LangGraph's channels do.
    _skip_init: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._skip_init = bool(cls.__dict__.get("_OWN_INIT", False))

    def __init__(self, typ: Any, key: str = "") -> None:
        self.typ = typ
        self.key = key

    @property
    @abstractmethod
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""

    @property
    @abstractmethod
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""

    # persistence

    def copy(self) -> Self:
        """Return an independent channel in the same state.

        The default goes through ``checkpoint()`` and ``from_checkpoint()``;
        subclasses override it with something cheaper.

        Returns:
            A new channel of the same class holding the same state.
        """
        return self.from_checkpoint(self.checkpoint())

    def checkpoint(self) -> Checkpoint | Any:
        """Return a serializable snapshot of the channel's state.

        Returns:
            The snapshot, or ``MISSING`` when the channel is empty.
        """
        try:
            return self.get()
        except EmptyChannelError:
            return MISSING

    @abstractmethod
    def from_checkpoint(self, checkpoint: Checkpoint | Any) -> Self:
        """Return a new channel like this one, restored from ``checkpoint``.

        Args:
            checkpoint: A value returned by ``checkpoint()``, or ``MISSING``
                for a fresh, empty channel.

        Returns:
            A new channel of the same class and configuration.
        """

    # reads

    @abstractmethod
    def get(self) -> Value:
        """Return the current value of the channel.

        Raises:
            EmptyChannelError: If the channel holds no value.
        """

    def is_available(self) -> bool:
        """Say whether ``get()`` would return a value.

        Subclasses override this with a check cheaper than catching
        ``EmptyChannelError``.

        Returns:
            ``True`` when the channel holds a value.
        """
        try:
            self.get()
        except EmptyChannelError:
            return False
        return True

    # writes

    @abstractmethod
    def update(self, values: Sequence[Update]) -> bool:
        """Apply the writes of one superstep.

        Called once per step for every channel, with an empty sequence when
        the channel got no writes. The order of ``values`` is arbitrary.

        Args:
            values: The writes received during the step.

        Returns:
            ``True`` when the channel's state changed.

        Raises:
            InvalidUpdateError: If the writes cannot be applied together.
        """

    def consume(self) -> bool:
        """Tell the channel that a task subscribed to it ran.

        The default does nothing; a channel may clear itself so that its
        value does not trigger again.

        Returns:
            ``True`` when the channel's state changed.
        """
        return False

    def finish(self) -> bool:
        """Tell the channel that the run is about to finish.

        The default does nothing; a channel may publish a value here, which
        keeps the run going.

        Returns:
            ``True`` when the channel's state changed.
        """
        return False


class SingleValueChannel(BaseChannel[Value, Value, Value]):
    """Shared plumbing of the channels that hold at most one value in ``value``.

    Subclasses decide how a step's writes change the value (``update``) and,
    when they do not persist it as is, override ``checkpoint`` and
    ``from_checkpoint``. Not part of LangGraph's API.
    """

    __slots__ = ("value",)

    value: Value | Any

    # Whether ``_copy_config`` has anything to copy (saves a call per copy).
    _has_config: ClassVar[bool] = False

    def __init__(self, typ: Any, key: str = "") -> None:
        self.typ = typ
        self.key = key
        self.value = MISSING

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""
        return self.typ

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""
        return self.typ

    def _init_args(self) -> tuple[Any, ...]:
        """The constructor arguments that recreate this channel's configuration."""
        return (self.typ, self.key)

    def _copy_config(self, new: Self) -> None:
        """Copy configuration beyond ``typ`` and ``key`` onto ``new``."""

    def _blank(self, value: Any) -> Self:
        """Return a channel configured like this one, holding ``value``."""
        cls = type(self)
        if cls._skip_init:
            new = _new(cls)
            new.typ = self.typ
            new.key = self.key
            new.value = value
            if cls._has_config:
                self._copy_config(new)
            return new
        new = cls(*self._init_args())
        new.key = self.key
        if value is not MISSING:
            new.value = value
        return new

    def copy(self) -> Self:
        """Return a channel holding the same value (the value is shared, not copied).

        Returns:
            A new channel of the same class and configuration.
        """
        return self._blank(self.value)

    def from_checkpoint(self, checkpoint: Value | Any) -> Self:
        """Return a new channel holding ``checkpoint`` (empty when ``MISSING``).

        Args:
            checkpoint: The value saved by ``checkpoint()``, or ``MISSING``.

        Returns:
            A new channel of the same class and configuration.
        """
        return self._blank(checkpoint)

    def get(self) -> Value:
        """Return the stored value.

        Raises:
            EmptyChannelError: If nothing is stored.
        """
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        """Say whether a value is stored."""
        return self.value is not MISSING

    def checkpoint(self) -> Value | Any:
        """Return the stored value, or ``MISSING`` when empty."""
        return self.value
