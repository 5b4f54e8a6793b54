"""``BinaryOperatorAggregate``: folds the writes into its value with a reducer.

It backs every ``Annotated[T, reducer]`` state key, and honours ``Overwrite``
writes that replace the value instead of being reduced into it.
"""

from __future__ import annotations

import collections.abc
import operator
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from stategraph._types import Overwrite
from stategraph.channels._base import MISSING, BaseChannel, Value, _new
from stategraph.errors import (
    EmptyChannelError,
    ErrorCode,
    InvalidUpdateError,
    create_error_message,
)

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required
else:  # pragma: no cover - exercised on Python 3.10 only
    from typing_extensions import NotRequired, Required

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("BinaryOperatorAggregate",)

OVERWRITE: Final = sys.intern("__overwrite__")
"""Key of the dict forms of an ``Overwrite`` write."""

# Marks "this write is not an Overwrite" (None is a valid overwrite value).
_NOT_OVERWRITE: Final[Any] = object()

# Abstract collection types cannot be instantiated; start from these instead.
_CONCRETE: Final = (
    ((collections.abc.Sequence, collections.abc.MutableSequence), list),
    ((collections.abc.Set, collections.abc.MutableSet), set),
    ((collections.abc.Mapping, collections.abc.MutableMapping), dict),
)


def _strip_extras(typ: Any) -> Any:
    """Return the runtime class behind ``typ``.

    Unwraps ``Annotated``, ``Required``/``NotRequired`` and generic aliases
    such as ``list[int]`` down to their origin.
    """
    if hasattr(typ, "__origin__"):
        origin = typ.__origin__
        if origin in (Required, NotRequired):
            return _strip_extras(typ.__args__[0])
        return _strip_extras(origin)
    return typ


def _initial_factory(typ: Any) -> Any:
    """Return the callable that builds the empty value of a channel of ``typ``."""
    typ = _strip_extras(typ)
    for abstract, concrete in _CONCRETE:
        if typ in abstract:
            return concrete
    return typ


def _initial_value(factory: Any) -> Any:
    """Call ``factory``; a type not buildable without arguments gives ``MISSING``."""
    try:
        return factory()
    except Exception:
        return MISSING


def _unwrap_overwrite(value: Overwrite | dict[Any, Any]) -> Any:
    """Return the value an ``Overwrite`` write carries, else ``_NOT_OVERWRITE``.

    Recognises ``Overwrite(v)``, ``{"__overwrite__": v}`` and the JSON form of
    an ``Overwrite``, ``{"type": "__overwrite__", "value": v}``.
    """
    if isinstance(value, Overwrite):
        return value.value
    if len(value) == 1 and OVERWRITE in value:
        return value[OVERWRITE]
    if value.get("type") == OVERWRITE and "value" in value:
        return value["value"]
    return _NOT_OVERWRITE


def _get_overwrite(value: Any) -> tuple[bool, Any]:
    """Say whether ``value`` is an ``Overwrite`` (in any form) and what it carries.

    LangGraph's private helper of the same name, for code ported from it.

    Returns:
        ``(True, carried value)`` for an overwrite, else ``(False, None)``.
    """
    if not isinstance(value, (Overwrite, dict)):
        return False, None
    found = _unwrap_overwrite(value)
    if found is _NOT_OVERWRITE:
        return False, None
    return True, found


def _is_delta_snapshot(value: Any) -> bool:
    """Whether ``value`` is a ``checkpoint.serde.types._DeltaSnapshot``.

    Recognised by name, so that importing channels does not import the
    serializers.
    """
    return isinstance(value, tuple) and type(value).__name__ == "_DeltaSnapshot"


def _operators_equal(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    # Lambdas cannot be told apart by name, so one on either side matches.
    if a.__name__ == "<lambda>" or b.__name__ == "<lambda>":
        return True
    return a is b


class BinaryOperatorAggregate(BaseChannel[Value, Value, Value]):
    """Folds each write into the current value with a binary operator.

    The channel starts from ``typ()`` when ``typ`` can be built without
    arguments (abstract ``Sequence``/``Set``/``Mapping`` types start from
    ``list()``/``set()``/``dict()``), and empty otherwise; then the first write
    becomes the value as is. An ``Overwrite`` write replaces the value and
    makes the step ignore its other plain writes.

    ```python
    import operator

    total = BinaryOperatorAggregate(int, operator.add)
    ```

    Args:
        typ: The type of the value stored in the channel.
        operator: The reducer, called as ``operator(current, write)``.

    Attributes:
        operator: The reducer.
    """

    __slots__ = ("_factory", "operator", "value")

    value: Value | Any
    operator: Callable[[Value, Value], Value]
    _factory: Any

    def __init__(self, typ: Any, operator: Callable[[Value, Value], Value]) -> None:
        self.typ = typ
        self.key = ""
        self.operator = operator
        self._factory = _initial_factory(typ)
        self.value = _initial_value(self._factory)

    def __eq__(self, value: object) -> bool:
        return isinstance(value, BinaryOperatorAggregate) and _operators_equal(
            self.operator, value.operator
        )

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""
        return self.typ

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""
        return self.typ

    def copy(self) -> Self:
        """Return a channel holding the same value (the value is shared, not copied).

        Returns:
            A new channel of the same class, type and operator.
        """
        cls = type(self)
        if cls is BinaryOperatorAggregate:
            new = _new(cls)
            new.typ = self.typ
            new.operator = self.operator
            new._factory = self._factory
        else:
            new = cls(self.typ, self.operator)
        new.key = self.key
        new.value = self.value
        return new

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """Return a new channel holding ``checkpoint``, or the initial value.

        Args:
            checkpoint: The value saved by ``checkpoint()`` (or a delta
                channel's ``_DeltaSnapshot`` of it), or ``MISSING`` for a
                fresh channel.

        Returns:
            A new channel of the same class, type and operator.
        """
        cls = type(self)
        # A thread saved while this key was a delta channel holds the full value
        # in a ``_DeltaSnapshot``.
        if _is_delta_snapshot(checkpoint):
            checkpoint = checkpoint[0]  # the ``value`` field
        if cls is not BinaryOperatorAggregate:
            new = cls(self.typ, self.operator)
            if checkpoint is not MISSING:
                new.value = checkpoint
        else:
            new = _new(cls)
            new.typ = self.typ
            new.operator = self.operator
            new._factory = self._factory
            new.value = (
                checkpoint
                if checkpoint is not MISSING
                else _initial_value(self._factory)
            )
        new.key = self.key
        return new

    def update(self, values: Sequence[Value]) -> bool:
        """Fold the writes of the step into the value, in order.

        When the channel is empty the first write becomes the value as is.

        Args:
            values: The writes of the step.

        Returns:
            ``True`` when the step had writes.

        Raises:
            InvalidUpdateError: If the step holds more than one ``Overwrite``.
        """
        if not values:
            return False
        current = self.value
        if (
            self.operator is _ADD
            and (type(current) is list or (current is MISSING and len(values) > 1))
            and _all_lists(values)
        ):
            # ``a + b`` write by write copies the whole value each time, which
            # is quadratic in a wide step's writes; one copy extended by each
            # gives the same new list (an empty channel starts from the first).
            if current is MISSING:
                current, values = values[0], values[1:]
            joined: list[Any] = current.copy()  # type: ignore[union-attr]  # a list
            for value in values:
                joined.extend(value)  # type: ignore[arg-type]  # a list: checked
            self.value = joined
            return True
        it = iter(values)
        if self.value is MISSING:
            self.value = next(it)
        operator = self.operator
        overwritten = False
        for value in it:
            if isinstance(value, (Overwrite, dict)):
                replacement = _unwrap_overwrite(value)
                if replacement is not _NOT_OVERWRITE:
                    if overwritten:
                        raise InvalidUpdateError(
                            create_error_message(
                                message="Can receive only one Overwrite value "
                                "per super-step.",
                                error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
                            )
                        )
                    self.value = replacement
                    overwritten = True
                    continue
            if not overwritten:
                self.value = operator(self.value, value)
        return True

    def get(self) -> Value:
        """Return the current value.

        Raises:
            EmptyChannelError: If the channel has no value yet.
        """
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        """Say whether the channel holds a value."""
        return self.value is not MISSING

    def checkpoint(self) -> Value | Any:
        """Return the current value, or ``MISSING`` when empty."""
        return self.value


_ADD = operator.add


def _all_lists(values: Sequence[Any]) -> bool:
    return all(type(value) is list for value in values)
