"""The hub's bundle download (hub/release_download.py) against a real local HTTP server:
resumed with Range, restarted when the server ignores Range, refused on a wrong digest."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from hub.release_download import DownloadError, download

DATA = bytes(range(256)) * 4000          # ~1 MB
SHA = hashlib.sha256(DATA).hexdigest()


def server(ranges: bool = True, cut_after: int | None = None) -> tuple[web.Application,
                                                                       list[str | None]]:
    """Serves DATA; records each request's Range; may ignore Range or drop the connection."""
    seen: list[str | None] = []

    async def bundle(request: web.Request) -> web.StreamResponse:
        wanted = request.headers.get("Range")
        seen.append(wanted)
        start = int(wanted[6:-1]) if wanted and ranges else 0
        body = DATA[start:]
        headers = {"Content-Length": str(len(body))}
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(DATA) - 1}/{len(DATA)}"
        resp = web.StreamResponse(status=206 if start else 200, headers=headers)
        await resp.prepare(request)
        if cut_after is not None:
            await resp.write(body[:cut_after])
            assert request.transport is not None
            request.transport.close()
            return resp
        await resp.write(body)
        return resp

    app = web.Application()
    app.router.add_get("/bundle", bundle)
    return app, seen


async def fetch(client: Any, final: Path, sha: str = SHA) -> None:
    async with aiohttp.ClientSession() as session:
        await download(session, str(client.make_url("/bundle")), {}, final, len(DATA), sha)


async def test_a_partial_download_resumes_with_range(aiohttp_client: Any, tmp_path: Path) -> None:
    app, seen = server()
    client = await aiohttp_client(app)
    final = tmp_path / "2.0.bundle"
    (tmp_path / "2.0.bundle.part").write_bytes(DATA[:300_000])
    await fetch(client, final)
    assert seen == ["bytes=300000-"]
    assert final.read_bytes() == DATA
    assert not (tmp_path / "2.0.bundle.part").exists()


async def test_a_server_that_ignores_range_restarts_the_file(aiohttp_client: Any,
                                                            tmp_path: Path) -> None:
    app, seen = server(ranges=False)
    client = await aiohttp_client(app)
    final = tmp_path / "2.0.bundle"
    (tmp_path / "2.0.bundle.part").write_bytes(b"\xff" * 1000)
    await fetch(client, final)
    assert seen == ["bytes=1000-"]
    assert final.read_bytes() == DATA


async def test_a_dropped_connection_keeps_what_arrived_for_the_next_try(aiohttp_client: Any,
                                                                       tmp_path: Path) -> None:
    app, _ = server(cut_after=400_000)
    client = await aiohttp_client(app)
    final = tmp_path / "2.0.bundle"
    with pytest.raises(DownloadError):
        await fetch(client, final)
    kept = (tmp_path / "2.0.bundle.part").stat().st_size
    assert 0 < kept <= 400_000
    whole, seen = server()
    await fetch(await aiohttp_client(whole), final)
    assert seen == [f"bytes={kept}-"]
    assert final.read_bytes() == DATA


async def test_a_file_that_does_not_match_the_announced_digest_is_fetched_again(
        aiohttp_client: Any, tmp_path: Path) -> None:
    app, _ = server()
    client = await aiohttp_client(app)
    final = tmp_path / "2.0.bundle"
    with pytest.raises(DownloadError, match="does not match the SHA-256"):
        await fetch(client, final, sha="0" * 64)
    assert not final.exists() and not (tmp_path / "2.0.bundle.part").exists()
