"""`PUT /api/hubs/backup`: a hub's newest SQLite backup, kept on central's disk (N per hub)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import BinaryIO

from aiohttp import web

from central.core import hub_backups
from central.web.context import CONFIG, reply, require_hub
from hub.sqlite_backup import fsync_path, prune, stamped_name
from outlet_protocol.errors import ProtocolError

routes = web.RouteTableDef()
_CHUNK = 256 * 1024


def _file_it(part: Path, final: Path, keep: int) -> None:
    fsync_path(part)
    part.rename(final)
    fsync_path(final.parent)
    prune(final.parent, hub_backups.PREFIX, (hub_backups.SUFFIX,), keep)


@routes.put("/api/hubs/backup")
async def upload_backup(request: web.Request) -> web.Response:
    """Store the body (an SQLite file) for the calling hub; 201 only once it is on disk."""
    hub = await require_hub(request)
    cfg = request.app[CONFIG]
    limit = cfg.hub_backup_max_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ProtocolError("too_large", f"a hub backup may be at most {limit} bytes")
    chunks = request.content.iter_chunked(_CHUNK)
    first = await anext(chunks, b"")
    # Checked before anything touches the disk: no folder, no part file for a wrong body.
    if not hub_backups.is_sqlite(first):
        raise ProtocolError("validation_failed", "the body is not an SQLite file")
    folder = cfg.hub_backup_dir / hub_backups.hub_directory(hub.hub_id)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    final = folder / stamped_name(hub_backups.PREFIX, hub_backups.SUFFIX)
    part = final.with_name(f".{final.name}.part")
    digest, size = hashlib.sha256(), 0
    try:
        out: BinaryIO
        with part.open("wb") as out:
            chunk = first
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise ProtocolError("too_large", f"a hub backup may be at most {limit} bytes")
                digest.update(chunk)
                await asyncio.to_thread(out.write, chunk)
                chunk = await anext(chunks, b"")
        await asyncio.to_thread(_file_it, part, final, cfg.hub_backup_keep)
    finally:
        part.unlink(missing_ok=True)
    return reply({"stored": final.name, "bytes": size, "sha256": digest.hexdigest()}, 201)
