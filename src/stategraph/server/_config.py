"""``langgraph.json``: which graphs to serve, their environment and import paths.

Reads the keys ``stategraph dev`` acts on (``graphs``, ``env``,
``dependencies``, ``checkpointer``: ``path`` to a saver or a factory of
one, ``sqlite`` for a SQLite checkpoint file, ``ttl`` for thread expiry,
``serde.allowed_msgpack_modules`` for classes checkpoints may hold,
``store``: ``index`` and ``ttl``, and ``auth``: ``path`` to a
``langgraph_sdk.Auth``, ``disable_studio_auth``, ``openapi``, and ``http``:
a custom ``app``, ``disable_*`` route groups, ``cors``)
and imports graphs from ``"./file.py:attr"`` or ``"package.module:attr"``
specs. It does not start anything.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stategraph.server._auth_config import AuthSettings, parse_settings
from stategraph.server._custom_routes import HttpSettings, parse_http


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """What a ``langgraph.json`` file asks the server to do.

    Attributes:
        graphs: Graph id to its import spec (``"./agent.py:graph"``).
        base_dir: Directory relative paths are resolved against.
        env: Environment variables to set before graphs are imported.
        dependencies: Local paths added to ``sys.path`` (pip specs are ignored:
            install them yourself).
        sqlite_path: Keep checkpoints in this SQLite file instead of memory.
        checkpointer_path: ``"file.py:attr"`` of a saver, a function returning
            one, or a (async) context manager yielding one.
        thread_ttl: ``checkpointer.ttl``: ``{"strategy": "delete",
            "default_ttl": minutes, "sweep_interval_minutes": minutes}``.
        serde: ``checkpointer.serde``: ``allowed_msgpack_modules`` lists
            ``[module, class]`` pairs of classes checkpoints may hold.
        store_index: ``store.index``: vector search settings for the store
            (``embed`` a ``"provider:model"`` name or an embedding function).
        store_ttl: ``store.ttl``: item TTL settings (``default_ttl``,
            ``refresh_on_read``, ``sweep_interval_minutes``; minutes).
        auth: The ``auth`` block: custom authentication and authorization.
        http: The ``http`` block: custom routes, disabled route groups, CORS.
        ui: ``ui``: graph id to its generative-UI component file.
        ui_config: ``ui_config``: the UI bundler's options.
    """

    graphs: Mapping[str, str]
    base_dir: Path = field(default_factory=Path.cwd)
    env: Mapping[str, str] = field(default_factory=dict)
    dependencies: tuple[str, ...] = ()
    sqlite_path: str | None = None
    checkpointer_path: str | None = None
    store_index: Mapping[str, Any] | None = None
    store_ttl: Mapping[str, Any] | None = None
    thread_ttl: Mapping[str, Any] | None = None
    serde: Mapping[str, Any] | None = None
    auth: AuthSettings | None = None
    http: HttpSettings | None = None
    ui: Mapping[str, str] | None = None
    ui_config: Mapping[str, Any] | None = None


def load_config(path: str | os.PathLike[str]) -> ServerConfig:
    """Parse a ``langgraph.json`` file.

    Raises:
        ValueError: When ``graphs`` is missing or a graph spec is malformed.
    """
    file = Path(path).resolve()
    raw = json.loads(file.read_text())
    base = file.parent
    graphs = raw.get("graphs")
    if not isinstance(graphs, Mapping) or not graphs:
        raise ValueError(f"{file}: 'graphs' must map graph ids to 'path.py:attr' specs")
    specs = {
        name: spec["path"] if isinstance(spec, Mapping) else spec
        for name, spec in graphs.items()
    }
    for name, spec in specs.items():
        if not isinstance(spec, str) or ":" not in spec:
            raise ValueError(f"graph {name!r}: spec {spec!r} is not 'path.py:attr'")
    env = raw.get("env") or {}
    if isinstance(env, str):
        env = _read_dotenv(base / env)
    checkpointer = raw.get("checkpointer") or {}
    if not isinstance(checkpointer, Mapping):
        raise ValueError(f"{file}: 'checkpointer' must be an object")
    sqlite = checkpointer.get("sqlite")
    if not isinstance(checkpointer.get("serde") or {}, Mapping):
        raise ValueError(f"{file}: 'checkpointer.serde' must be an object")
    store = raw.get("store") or {}
    if not isinstance(store, Mapping):
        raise ValueError(f"{file}: 'store' must be an object")
    if not isinstance(store.get("ttl") or {}, Mapping):
        raise ValueError(f"{file}: 'store.ttl' must be an object")
    return ServerConfig(
        graphs=specs,
        base_dir=base,
        env={str(k): str(v) for k, v in env.items()},
        dependencies=tuple(raw.get("dependencies") or ()),
        sqlite_path=str(base / sqlite) if sqlite else None,
        checkpointer_path=checkpointer.get("path"),
        store_index=_store_index(store.get("index"), base),
        thread_ttl=checkpointer.get("ttl"),
        serde=checkpointer.get("serde") or None,
        store_ttl=store.get("ttl") or None,
        auth=_auth_settings(raw.get("auth"), file),
        http=_http_settings(raw.get("http"), file),
        ui=_ui(raw.get("ui"), file),
        ui_config=raw.get("ui_config") or None,
    )


def _ui(raw: Any, file: Path) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, str) for v in raw.values()
    ):
        raise ValueError(f"{file}: 'ui' must map graph ids to component files")
    return {str(k): v for k, v in raw.items()}


def _auth_settings(raw: Any, file: Path) -> AuthSettings | None:
    try:
        return parse_settings(raw)
    except ValueError as exc:
        raise ValueError(f"{file}: {exc}") from None


def _http_settings(raw: Any, file: Path) -> HttpSettings | None:
    try:
        return parse_http(raw)
    except ValueError as exc:
        raise ValueError(f"{file}: {exc}") from None


def _store_index(index: Any, base: Path) -> dict[str, Any] | None:
    """``store.index`` with an ``"file.py:fn"`` embed spec imported."""
    if not index:
        return None
    if not isinstance(index, Mapping):
        raise ValueError(f"'store.index' must be an object, got {index!r}")
    out = dict(index)
    embed = out.get("embed")
    # "openai:text-embedding-3-small" names a provider; a ".py:" spec a function.
    if isinstance(embed, str) and (".py:" in embed or embed.startswith((".", "/"))):
        out["embed"] = import_object(embed, base)
    return out


def _read_dotenv(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip().removeprefix("export ").strip()] = value.strip().strip("\"'")
    return out


def prepare_environment(config: ServerConfig) -> None:
    """Set the configured environment and make local dependencies importable."""
    for key, value in config.env.items():
        os.environ.setdefault(key, value)
    paths = [config.base_dir]
    paths += [
        (config.base_dir / dep).resolve()
        for dep in config.dependencies
        if dep.startswith((".", "/"))
    ]
    for path in paths:
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def allow_serde_types(serde: Mapping[str, Any] | None) -> None:
    """Register the classes ``checkpointer.serde.allowed_msgpack_modules`` names.

    Each entry is a ``[module, class]`` pair, LangGraph's spelling; the module
    is imported (call this once graphs and dependencies are importable).
    ``true`` (LangGraph: revive any class) is not offered: only classes named
    here, in the graphs' schemas or registered in code load in every process.

    Raises:
        ValueError: An entry is not such a pair, or names no dataclass,
            pydantic model, enum or NamedTuple.
    """
    from stategraph.checkpoint.serde._registry import is_registrable, register_types

    allowed = (serde or {}).get("allowed_msgpack_modules")
    if allowed is None or allowed is True:
        return
    for entry in allowed:
        if not (isinstance(entry, list | tuple) and len(entry) == 2):
            raise ValueError(
                f"checkpointer.serde.allowed_msgpack_modules: {entry!r} is not a"
                " [module, class] pair"
            )
        cls = getattr(importlib.import_module(entry[0]), entry[1], None)
        if not is_registrable(cls):
            raise ValueError(
                f"checkpointer.serde.allowed_msgpack_modules: {entry!r} is not a"
                " dataclass, pydantic model, enum or NamedTuple"
            )
        register_types(cls)


def import_object(spec: str, base_dir: Path) -> Any:
    """Import the object a ``"file.py:attr"`` or ``"module:attr"`` spec names."""
    location, _, attr = spec.rpartition(":")
    if location.endswith(".py") or "/" in location:
        file = (base_dir / location).resolve()
        # The same name in every process and run (hash() of a str is salted
        # per process): checkpoints name the classes they hold by module, so
        # another worker, an API process or a restart must find them again.
        digest = hashlib.sha256(str(file).encode()).hexdigest()[:16]
        name = f"_stategraph_graph_{file.stem}_{digest}"
        module = sys.modules.get(name)
        if module is None:
            module_spec = importlib.util.spec_from_file_location(name, file)
            if module_spec is None or module_spec.loader is None:
                raise ValueError(f"cannot import graph file {file}")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"{spec!r}: module has no attribute {attr!r}") from None
