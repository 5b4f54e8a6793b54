"""``/ui``: generative-UI component bundles, as LangGraph's server serves them.

``langgraph.json``'s ``"ui"`` maps graph ids to component files (``.tsx``).
They are bundled by LangGraph's own bundler, ``@langchain/langgraph-ui``
(Node and esbuild), into ``.langgraph_api/ui`` next to the config:
``schemas.json`` lists each graph's assets, ``public/<graph_id>/`` holds
them. ``POST /ui/{graph_id}`` with ``{"name": component}`` answers the HTML
that loads them (``<link>`` for CSS, ``<script>`` for JS rendering the
component into ``{{shadowRootId}}``); ``GET /ui/{graph_id}/{file}`` serves
the files, without auth as in LangGraph's server.

As ``langgraph dev`` does, ``stategraph dev`` (or ``LANGGRAPH_UI_BUNDLER=true``)
runs ``npx @langchain/langgraph-ui watch`` while the server is up, so the
bundle follows the sources. Otherwise, build it once with
``LANGGRAPH_UI='{"graph": "./ui.tsx"}' npx @langchain/langgraph-ui build -o
.langgraph_api/ui`` in the config's directory; this server does not bundle
JavaScript itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from stategraph.server._http import ApiError, read_json

logger = logging.getLogger(__name__)

#: Where the bundle goes, relative to the config's directory.
OUTPUT_DIR = Path(".langgraph_api") / "ui"
#: Environment variable asking for the bundler (as ``langgraph dev`` sets it).
BUNDLER_ENV = "LANGGRAPH_UI_BUNDLER"
#: Set by ``stategraph dev``; the bundler runs there as under ``langgraph dev``.
_DEV_ENV, _DEV_VALUE = "LANGSMITH_LANGGRAPH_API_VARIANT", "local_dev"
BUNDLER_PACKAGE = "@langchain/langgraph-ui@latest"


@dataclass(frozen=True, slots=True)
class UiSettings:
    """Where the bundle is and what ``langgraph.json`` declares.

    Attributes:
        output: The bundle's directory (``schemas.json``, ``public/``).
        declared: ``"ui"``: graph id to component file.
        shared: ``"ui_config"``: the bundler's options (``shared`` packages).
    """

    output: Path
    declared: Mapping[str, str] = field(default_factory=dict)
    shared: Mapping[str, Any] = field(default_factory=dict)

    @property
    def public(self) -> Path:
        """The directory ``GET /ui/...`` serves."""
        return self.output / "public"

    def schemas(self) -> dict[str, Any]:
        """``schemas.json``: graph id to ``{"name", "assets"}`` (empty if unbuilt)."""
        try:
            found = json.loads((self.output / "schemas.json").read_text("utf-8"))
        except FileNotFoundError:
            return {}
        return found if isinstance(found, dict) else {}


def ui_settings(
    base_dir: Path | None, declared: Any = None, shared: Any = None
) -> UiSettings:
    """The settings for a config in ``base_dir`` (the working directory if none)."""
    base = base_dir if base_dir is not None else Path.cwd()
    return UiSettings(
        base / OUTPUT_DIR,
        dict(declared) if isinstance(declared, Mapping) else {},
        dict(shared) if isinstance(shared, Mapping) else {},
    )


def _settings(app: Any) -> UiSettings:
    found = getattr(app.state, "ui", None)
    return found if isinstance(found, UiSettings) else ui_settings(None)


def _tags(graph_id: str, assets: list[str], name: Any) -> str:
    """The HTML loading ``assets`` and rendering component ``name``."""
    js_name = re.sub(r"[^a-zA-Z0-9]", "_", graph_id)
    tags = []
    for asset in assets:
        basename = os.path.basename(asset)
        url = f"/ui/{quote(graph_id, safe='')}/{quote(basename, safe='')}"
        src = html.escape(url, quote=True)
        extension = os.path.splitext(basename)[1]
        if extension == ".css":
            tags.append(f'<link rel="stylesheet" href="{src}" />')
        elif extension == ".js":
            arg = html.escape(json.dumps(name), quote=True)
            tags.append(
                f'<script src="{src}" onload=\'__LGUI_{js_name}.render('
                f'{arg}, "{{{{shadowRootId}}}}")\'></script>'
            )
    return "\n".join(tags)


async def ui_component(request: Request) -> Response:
    """``POST /ui/{graph_id}``: the tags loading a graph's UI component."""
    graph_id = request.path_params["graph_id"]
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise ApiError(422, "Request body must be an object with a string 'name'")
    settings = _settings(request.app)
    schema = (await run_in_threadpool(settings.schemas)).get(graph_id)
    if schema is None:
        message = f"UI not found for graph '{graph_id}'"
        if graph_id in settings.declared:
            message += (
                f": langgraph.json declares {settings.declared[graph_id]!r} but "
                f"it is not built in {settings.output} (run `stategraph dev`, "
                "which bundles it with Node.js, or `npx @langchain/langgraph-ui "
                "build`)"
            )
        return Response(message, status_code=404, media_type="text/plain")
    html_tags = _tags(graph_id, list(schema.get("assets") or []), body["name"])
    return Response(html_tags, headers={"Content-Type": "text/html"})


class UiAssets:
    """The bundle's files under ``/ui``; public, as in LangGraph's server."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the file the path names from the app's bundle."""
        public = _settings(scope["app"]).public
        await StaticFiles(directory=public, check_dir=False)(scope, receive, send)


@contextlib.asynccontextmanager
async def ui_bundler(
    settings: UiSettings,
) -> AsyncIterator[asyncio.subprocess.Process | None]:
    """Keep the bundle built while the server runs, when asked to.

    Runs only under ``stategraph dev`` or ``LANGGRAPH_UI_BUNDLER=true``, and
    when ``langgraph.json`` declares components.

    Yields:
        The bundler's process (``None`` when it is not run).

    Raises:
        RuntimeError: When Node.js (``npx``) is not installed.
    """
    wanted = os.environ.get(BUNDLER_ENV, "").lower() in ("1", "true", "yes")
    wanted = wanted or os.environ.get(_DEV_ENV) == _DEV_VALUE
    if not wanted or not settings.declared:
        yield None
        return
    npx = shutil.which("npx")
    if npx is None:
        raise RuntimeError(
            "langgraph.json declares 'ui' components; bundling them needs Node.js "
            "and npm (npx). Install Node.js from https://nodejs.org/, or build the "
            f"bundle elsewhere into {settings.output}."
        )
    settings.output.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LANGGRAPH_UI=json.dumps(dict(settings.declared)))
    if settings.shared:
        env["LANGGRAPH_UI_CONFIG"] = json.dumps(dict(settings.shared))
    args = ["-y", BUNDLER_PACKAGE, "watch", "-o", str(settings.output)]
    # Its own process group: npx runs the bundler as a grandchild (node, then
    # esbuild), which a signal to npx alone would leave running.
    process = await asyncio.create_subprocess_exec(
        npx, *args, env=env, cwd=settings.output.parent.parent, start_new_session=True
    )
    logger.info("Started UI bundler process [%d]", process.pid)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            if hasattr(os, "killpg"):
                os.killpg(process.pid, signal.SIGTERM)
            else:  # Windows: no process groups to signal
                process.terminate()
        await process.wait()


#: The UI routes (``http.disable_ui`` leaves them out). The files are served
#: by a ``Mount``, which custom auth leaves public.
routes = [
    Route("/ui/{graph_id}", ui_component, methods=["POST"]),
    Mount("/ui", app=UiAssets()),
]
