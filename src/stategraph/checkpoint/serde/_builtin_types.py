"""Standard-library and stategraph types every serializer accepts.

Cheap types are registered at import. Types from modules that are slow to
import (``decimal``, ``pathlib``, ``zoneinfo``, ``ipaddress``) or optional
(``numpy``, ``langchain_core``) are registered by a provider the first time a
value or a payload needs them. Providers import only their own fixed module,
never a module named by data.
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from stategraph._policies import TimeoutPolicy
from stategraph._types import (
    Command,
    Interrupt,
    Overwrite,
    PregelTask,
    Send,
    StateSnapshot,
)
from stategraph.checkpoint.serde._registry import (
    EXT_CONSTRUCTOR_KW_ARGS as KW,
    EXT_CONSTRUCTOR_POS_ARGS as POS,
    EXT_CONSTRUCTOR_SINGLE_ARG as ONE,
    EXT_DELTA_SNAPSHOT,
    EXT_METHOD_SINGLE_ARG,
    EXT_NUMPY_ARRAY,
    EXT_PYDANTIC_V1,
    TypeRegistry,
    TypeSpec,
    register_class,
    spec_for_class,
)
from stategraph.checkpoint.serde.types import _DeltaSnapshot

_RECORD_MODULES = ("langgraph.types", "stategraph.types", "stategraph._types")


def _items(obj: Iterable[Any]) -> Iterable[tuple[str, Any]]:
    return ((f"{{item {i}}}", item) for i, item in enumerate(obj))


def _hashable(value: Any) -> Any:
    # Tuples come back from msgpack as lists; inside a set they must have
    # been tuples, so turn them back.
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _send_load(args: list[Any]) -> Send:
    if not 2 <= len(args) <= 3:
        raise ValueError("Send takes node, arg and an optional timeout")
    return Send(args[0], args[1], timeout=args[2] if len(args) == 3 else None)


def _send_dump(obj: Send) -> tuple[Any, ...]:
    if obj.timeout is None:
        return (obj.node, obj.arg)
    return (obj.node, obj.arg, obj.timeout)


def _kwargs_only(build: Callable[..., Any], names: tuple[str, ...]) -> Any:
    def load(data: dict[str, Any]) -> Any:
        unknown = data.keys() - set(names)
        if unknown:
            raise ValueError(f"unknown fields {sorted(map(str, unknown))}")
        return build(**data)

    return load


def _interrupt_dump(obj: Interrupt) -> dict[str, Any]:
    out = {"value": obj.value, "id": obj.id}
    schema = getattr(obj, "response_schema", None)
    if schema is not None:
        out["response_schema"] = schema
    return out


def _interrupt_load(data: dict[str, Any]) -> Interrupt:
    if not {"value"} <= data.keys() <= {"value", "id", "response_schema"}:
        raise ValueError("Interrupt takes value, id and response_schema")
    kwargs = {k: v for k, v in data.items() if v is not None or k == "value"}
    return Interrupt(**kwargs)


def _attrs(*names: str) -> Callable[[Any], Iterable[tuple[str, Any]]]:
    return lambda obj: ((f".{n}", getattr(obj, n, None)) for n in names)


def _splat(build: Callable[..., Any]) -> Callable[[Any], Any]:
    return lambda args: build(*args)


def _kw(build: Callable[..., Any]) -> Callable[[Any], Any]:
    return lambda kwargs: build(**kwargs)


def _of_items(build: Callable[[Iterable[Any]], Any]) -> Callable[[Any], Any]:
    return lambda items: build(_hashable(v) for v in items)


_COMMAND_FIELDS = ("graph", "update", "resume", "goto")
_TIMEOUT_FIELDS = ("run_timeout", "idle_timeout", "refresh_on")


def _overwrite_load(data: dict[str, Any]) -> Overwrite:
    # LangGraph adds a constant discriminator, `type="__overwrite__"`.
    if not {"value"} <= data.keys() <= {"value", "type"}:
        raise ValueError("Overwrite takes value")
    return Overwrite(data["value"])


def _records(reg: TypeRegistry) -> None:
    mod = _RECORD_MODULES[0]
    specs = [
        TypeSpec(Send, POS, mod, "Send", _send_dump, _send_load,
                 _attrs("node", "arg", "timeout")),
        TypeSpec(Interrupt, KW, mod, "Interrupt", _interrupt_dump, _interrupt_load,
                 _attrs("value", "id", "response_schema")),
        TypeSpec(Command, KW, mod, "Command",
                 lambda o: {n: getattr(o, n) for n in _COMMAND_FIELDS},
                 _kwargs_only(Command, _COMMAND_FIELDS), _attrs(*_COMMAND_FIELDS)),
        TypeSpec(Overwrite, KW, mod, "Overwrite", lambda o: {"value": o.value},
                 _overwrite_load, _attrs("value")),
        # A ``Send``'s own timeout travels with it in the tasks channel.
        TypeSpec(TimeoutPolicy, KW, mod, "TimeoutPolicy",
                 lambda o: {n: getattr(o, n) for n in _TIMEOUT_FIELDS},
                 _kwargs_only(TimeoutPolicy, _TIMEOUT_FIELDS),
                 _attrs(*_TIMEOUT_FIELDS)),
    ]  # fmt: skip
    for cls in (StateSnapshot, PregelTask):
        spec = spec_for_class(cls, mod, cls.__name__)
        if spec is not None:
            specs.append(spec)
    for spec in specs:
        reg.add(spec, *((m, spec.name) for m in _RECORD_MODULES[1:]))


_ITEM_FIELDS = ("value", "key", "namespace", "created_at", "updated_at")


def _store_records(reg: TypeRegistry) -> None:
    # Store items may be kept in state. LangGraph writes an Item through its
    # pydantic-v1 branch (it has a ``dict()`` method): ``item.dict()`` under
    # code 4, timestamps as ISO text. A SearchItem is written as its Item.
    # Registered on first need (by either package name), so importing a
    # serializer does not import the store.
    if "store records" in _loaded:
        return
    _loaded.add("store records")
    from stategraph.store.base._records import GetOp, Item

    store = ("stategraph.store.base", "stategraph.store.base._records")
    item = TypeSpec(Item, EXT_PYDANTIC_V1, "langgraph.store.base", "Item",
                    lambda o: Item.dict(o), _kwargs_only(Item, _ITEM_FIELDS),
                    _attrs(*_ITEM_FIELDS))  # fmt: skip
    reg.add(item, *((m, "Item") for m in store), base=True)
    get_op = spec_for_class(GetOp, "langgraph.store.base", "GetOp")
    if get_op is not None:
        reg.add(get_op, *((m, "GetOp") for m in store))
    reg.add(TypeSpec(_DeltaSnapshot, EXT_DELTA_SNAPSHOT, "", "", lambda o: o.value,
                     _DeltaSnapshot, _attrs("value"), bare=True))  # fmt: skip


def _time_dump(obj: dt.time) -> dict[str, Any]:
    return {
        "hour": obj.hour,
        "minute": obj.minute,
        "second": obj.second,
        "microsecond": obj.microsecond,
        "tzinfo": obj.tzinfo,
        "fold": obj.fold,
    }


def _timezone_args(obj: dt.timezone) -> tuple[Any, ...]:
    args: tuple[Any, ...] = obj.__getinitargs__()  # type: ignore[attr-defined]
    return args


def _big_int(text: Any) -> int:
    if not isinstance(text, str):
        raise TypeError("big integers are stored as decimal strings")
    return int(text)


def _compile(args: Any) -> re.Pattern[Any]:
    pattern, flags = args
    return re.compile(pattern, flags & ~re.DEBUG)  # DEBUG would print on load


def _core(reg: TypeRegistry) -> None:
    # Registered for subclasses too (``base=True``): a subclass is written as
    # its registered base, like LangGraph's ``isinstance`` checks do.
    bases = [
        TypeSpec(dt.datetime, EXT_METHOD_SINGLE_ARG, "datetime", "datetime",
                 dt.datetime.isoformat, dt.datetime.fromisoformat,
                 tail=("fromisoformat",)),
        TypeSpec(dt.date, POS, "datetime", "date",
                 lambda o: (o.year, o.month, o.day), _splat(dt.date)),
        TypeSpec(dt.time, KW, "datetime", "time", _time_dump, _kw(dt.time)),
        TypeSpec(dt.timedelta, POS, "datetime", "timedelta",
                 lambda o: (o.days, o.seconds, o.microseconds), _splat(dt.timedelta)),
        TypeSpec(set, ONE, "builtins", "set", tuple, _of_items(set), _items),
        TypeSpec(frozenset, ONE, "builtins", "frozenset", tuple,
                 _of_items(frozenset), _items),
        TypeSpec(collections.deque, ONE, "collections", "deque", tuple,
                 collections.deque, _items),
        TypeSpec(bytearray, ONE, "builtins", "bytearray", bytes, bytearray),
        TypeSpec(int, ONE, "builtins", "int", lambda o: str(int(o)), _big_int),
    ]  # fmt: skip
    for spec in bases:
        reg.add(spec, base=True)
    uuid_spec = TypeSpec(uuid.UUID, ONE, "uuid", "UUID", lambda o: o.hex, uuid.UUID)
    reg.add(
        uuid_spec,
        ("langgraph.checkpoint.base.id", "UUID"),
        ("stategraph.checkpoint.base.id", "UUID"),
        base=True,
    )
    reg.add(TypeSpec(dt.timezone, POS, "datetime", "timezone", _timezone_args,
                     _splat(dt.timezone)))  # fmt: skip
    reg.add(TypeSpec(re.Pattern, POS, "re", "compile",
                     lambda o: (o.pattern, o.flags), _compile))  # fmt: skip
    _records(reg)


def _decimal(reg: TypeRegistry) -> None:
    import decimal

    reg.add(TypeSpec(decimal.Decimal, ONE, "decimal", "Decimal", str, decimal.Decimal),
            base=True)  # fmt: skip


def _ipaddress(reg: TypeRegistry) -> None:
    import ipaddress as ip

    for cls in (ip.IPv4Address, ip.IPv4Interface, ip.IPv4Network,
                ip.IPv6Address, ip.IPv6Interface, ip.IPv6Network):  # fmt: skip
        reg.add(TypeSpec(cls, ONE, "ipaddress", cls.__name__, str, cls))


def _zoneinfo(reg: TypeRegistry) -> None:
    import zoneinfo

    zi = zoneinfo.ZoneInfo
    reg.add(TypeSpec(zi, ONE, "zoneinfo", "ZoneInfo", lambda o: o.key, zi), base=True)


def _pathlib(reg: TypeRegistry) -> None:
    import pathlib as pl

    concrete = type(pl.Path())
    pure = {"PosixPath": pl.PurePosixPath, "WindowsPath": pl.PureWindowsPath}
    for name in ("PurePath", "PurePosixPath", "PureWindowsPath", "Path", *pure):
        cls = getattr(pl, name)
        # The path flavour of another OS cannot be instantiated here: load it
        # as the matching pure path.
        build = pure[name] if name in pure and cls is not concrete else cls
        spec = TypeSpec(
            cls, POS, cls.__module__, name, lambda o: o.parts, _splat(build)
        )
        reg.add(spec, ("pathlib", name), ("pathlib._local", name))


def _numpy(reg: TypeRegistry) -> None:
    try:
        np: Any = importlib.import_module("numpy")
    except ImportError:
        return

    def dump(arr: Any) -> tuple[Any, ...]:
        order = "F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C"
        return (arr.dtype.str, arr.shape, order, arr.tobytes(order="A"))

    def load(meta: Any) -> Any:
        dtype_str, shape, order, buf = meta
        dtype = np.dtype(dtype_str)
        if dtype.hasobject:
            raise ValueError("arrays of Python objects are refused")
        arr = np.frombuffer(bytes(buf), dtype=dtype)
        return arr.reshape(shape, order=order)

    reg.add(TypeSpec(np.ndarray, EXT_NUMPY_ARRAY, "", "", dump, load, bare=True),
            base=True)  # fmt: skip


_LC_CLASSES = {
    "langchain_core.messages": (
        "BaseMessage", "BaseMessageChunk", "HumanMessage", "HumanMessageChunk",
        "AIMessage", "AIMessageChunk", "SystemMessage", "SystemMessageChunk",
        "ChatMessage", "ChatMessageChunk", "ToolMessage", "ToolMessageChunk",
        "FunctionMessage", "FunctionMessageChunk", "RemoveMessage",
    ),
    "langchain_core.documents": ("Document",),
}  # fmt: skip


def _langchain(reg: TypeRegistry) -> None:
    for module_name, names in _LC_CLASSES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return
        for name in names:
            cls = getattr(module, name, None)
            if isinstance(cls, type):
                register_class(reg, cls)


def _secrets(reg: TypeRegistry, module_name: str) -> None:
    # pydantic's secret wrappers are stored as their secret value, like LangGraph.
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    for name in ("SecretStr", "SecretBytes"):
        cls = getattr(module, name)
        spec = TypeSpec(cls, ONE, cls.__module__, name,
                        lambda o: o.get_secret_value(), cls)  # fmt: skip
        reg.add(spec, (module_name, name))


def _pydantic(reg: TypeRegistry) -> None:
    _secrets(reg, "pydantic")


def _pydantic_v1(reg: TypeRegistry) -> None:
    _secrets(reg, "pydantic.v1")


PROVIDERS: dict[str, Callable[[TypeRegistry], None]] = {
    "pydantic": _pydantic,
    "pydantic.v1": _pydantic_v1,
    "decimal": _decimal,
    "ipaddress": _ipaddress,
    "zoneinfo": _zoneinfo,
    "pathlib": _pathlib,
    "numpy": _numpy,
    "langchain_core": _langchain,
    "langgraph": _store_records,
    "stategraph": _store_records,
}
"""Registration functions for optional types, by top-level module name."""

_loaded: set[str] = set()


def provide(reg: TypeRegistry, module: str) -> bool:
    """Run the provider of ``module``'s top-level package once.

    Args:
        reg: Registry the provider adds its types to.
        module: A module name seen on a value's type or in a payload.

    Returns:
        Whether a provider ran now (so a failed lookup is worth retrying).
    """
    root = module.partition(".")[0]
    if module == "pydantic.v1" or module.startswith("pydantic.v1."):
        root = "pydantic.v1"  # a package of its own, imported only on demand
    provider = PROVIDERS.get(root)
    if provider is None or root in _loaded:
        return False
    _loaded.add(root)
    provider(reg)
    return True


def install(reg: TypeRegistry) -> None:
    """Register the always-available types in ``reg``."""
    _core(reg)
