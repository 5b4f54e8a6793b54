"""The Studio web UI: static files served at ``/studio``.

The Studio is plain HTML, CSS and JavaScript modules shipped inside the
package, so it needs no build step and no network at run time. It talks only
to the server's public HTTP API on the same origin, so the same files work
against any LangGraph-API-compatible server.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

#: Where the Studio is mounted; ``stategraph dev`` prints ``<url>/studio/``.
STUDIO_PATH = "/studio"

#: The folder of the Studio's files, shipped as package data.
STUDIO_DIR = Path(__file__).parent / "studio"


class _StudioFiles(StaticFiles):
    """Static files the browser revalidates on every load.

    Without ``Cache-Control`` browsers cache by ``Last-Modified`` heuristics
    and could mix old and new modules after an upgrade; with ``no-cache`` an
    unchanged file still costs only a 304 thanks to the ETag.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


async def _to_index(request: Request) -> Response:
    # Relative module URLs in index.html resolve against the trailing slash.
    return RedirectResponse(f"{request.scope.get('root_path', '')}{STUDIO_PATH}/")


def studio_routes() -> list[BaseRoute]:
    """The routes serving the Studio: ``/studio`` redirects to ``/studio/``."""
    return [
        Route(STUDIO_PATH, _to_index, methods=["GET", "HEAD"], include_in_schema=False),
        Mount(
            STUDIO_PATH,
            app=_StudioFiles(directory=STUDIO_DIR, html=True),
            name="studio",
        ),
    ]
