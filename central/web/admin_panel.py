"""The admin panel's static files: /admin/ from ui/admin/, /shared/ from ui/shared/.

Served by hand rather than `add_static` so an absent ui/ (the UI is built in parallel)
answers a clean 404 and `..` can never leave the folder.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from central.web.context import CONFIG

routes = web.RouteTableDef()


def resolve_inside(root: Path, relative: str) -> Path | None:
    """`root/relative` if it is a file inside root (symlinks resolved), else None."""
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not target.is_relative_to(base):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def _serve(root: Path, relative: str) -> web.StreamResponse:
    if "\x00" in relative:
        raise web.HTTPNotFound()
    found = resolve_inside(root, relative)
    if found is None:
        raise web.HTTPNotFound(text="not found")
    resp = web.FileResponse(found)
    # The panel changes with deploys; always revalidate so admins never run a stale build.
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@routes.get("/admin")
async def admin_redirect(_: web.Request) -> web.StreamResponse:
    """`/admin` → `/admin/`."""
    raise web.HTTPFound("/admin/")


@routes.get("/admin/{path:.*}")
async def admin_files(request: web.Request) -> web.StreamResponse:
    """ui/admin/<path>, index.html for the folder itself."""
    return _serve(request.app[CONFIG].ui_dir / "admin", request.match_info["path"])


@routes.get("/shared/{path:.*}")
async def shared_files(request: web.Request) -> web.StreamResponse:
    """ui/shared/<path>: the offline client code the panel imports."""
    return _serve(request.app[CONFIG].ui_dir / "shared", request.match_info["path"])
