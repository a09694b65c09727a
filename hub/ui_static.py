"""The browser apps, served by the hub itself so a kitchen tablet needs only the hub's address."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from hub.context import CTX
from hub.ui_location import ui_root

# Only these folders of ui/ are served by the hub; admin belongs to central, tests to nobody.
APPS = ("kiosk", "kitchen", "board", "status", "shared")


def default_ui_dir() -> Path:
    """The checkout's or the bundle's ui/, else the copy a wheel installed."""
    return ui_root()


def _ui_dir(request: web.Request) -> Path:
    configured = request.app[CTX].cfg.ui_dir
    return Path(configured) if configured else default_ui_dir()


def _serve(root: Path, relative: str) -> web.StreamResponse:
    """A file under `root` (an app's own folder): `..`, NUL and backslashes never leave it."""
    if "\x00" in relative or "\\" in relative or ".." in relative.split("/"):
        raise web.HTTPNotFound()
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise web.HTTPNotFound()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        raise web.HTTPNotFound()
    headers = {"Cache-Control": "no-cache"}
    if target.suffix in (".js", ".mjs"):
        headers["Content-Type"] = "text/javascript; charset=utf-8"
    elif target.suffix == ".webmanifest":
        headers["Content-Type"] = "application/manifest+json"
    return web.FileResponse(target, headers=headers)


async def app_file(request: web.Request) -> web.StreamResponse:
    app = request.match_info["app"]
    if app not in APPS:
        raise web.HTTPNotFound()
    # Confined to ui/<app>/, not ui/: /kiosk/%2e%2e/admin/admin.js must not reach admin.
    return _serve(_ui_dir(request) / app, request.match_info.get("path", ""))


async def app_root_redirect(request: web.Request) -> web.StreamResponse:
    """`/kiosk` → `/kiosk/`: the route is a fixed path, so the app is the path itself."""
    raise web.HTTPFound(f"{request.path.rstrip('/')}/")


async def service_worker(request: web.Request) -> web.StreamResponse:
    response = _serve(_ui_dir(request), "sw.js")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


async def manifest(request: web.Request) -> web.StreamResponse:
    return _serve(_ui_dir(request), "manifest.webmanifest")


async def status_page(request: web.Request) -> web.StreamResponse:
    return _serve(_ui_dir(request), "status/index.html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/sw.js", service_worker)
    app.router.add_get("/manifest.webmanifest", manifest)
    for name in APPS:
        app.router.add_get(f"/{name}", app_root_redirect)
    app.router.add_get("/{app}/{path:.*}", app_file)
