"""Fetch a release bundle from central in the background, resumable with HTTP Range.

A hub behind a slow outlet line may need hours for 40 MB and lose the link halfway: the
partial file stays (`<version>.bundle.part`) and the next attempt asks for the rest. The
finished file must have the size and SHA-256 central announced in the heartbeat before it
is renamed into place; a mismatch discards it (a resumed download mixed with a different
upload must never pass as whole).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path

import aiohttp

from outlet_protocol.bundle import MAX_BUNDLE_BYTES, BundleError

CHUNK = 256 * 1024
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-\d+/(\d+|\*)$")


class DownloadError(ConnectionError):
    """The transfer failed (network, HTTP status): retried later, the partial file kept."""


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def download(session: aiohttp.ClientSession, url: str, headers: dict[str, str],
                   final: Path, size: int, sha256: str) -> None:
    """Bring `final` to the announced size and digest, resuming `<final>.part` if present."""
    part = final.with_name(final.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    limit = size or MAX_BUNDLE_BYTES
    if have > limit:
        part.unlink()
        have = 0
    if have < limit or not size:
        await _fetch(session, url, headers, part, have, limit)
    got = part.stat().st_size
    if size and got != size:
        raise DownloadError(f"bundle is {got} bytes so far, central announced {size}")
    if sha256:
        actual = await asyncio.to_thread(_file_sha256, part)
        if actual != sha256:
            # Corrupted on the way (or mixed with another upload): start again from byte 0,
            # later. Only a bad signature fails a release for good.
            part.unlink()
            raise DownloadError("downloaded bundle does not match the SHA-256 central "
                                "announced; downloading it again")
    os.replace(part, final)


async def _fetch(session: aiohttp.ClientSession, url: str, headers: dict[str, str], part: Path,
                 have: int, limit: int) -> None:
    request_headers = dict(headers) | ({"Range": f"bytes={have}-"} if have else {})
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=15, sock_read=60)
    try:
        async with session.get(url, headers=request_headers, timeout=timeout) as resp:
            if resp.status == 206:
                m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
                if m is None or int(m.group(1)) != have:
                    raise DownloadError("central answered a Range it was not asked for")
                mode = "ab"
            elif resp.status == 200:
                have, mode = 0, "wb"
            else:
                raise DownloadError(f"GET {url}: HTTP {resp.status} {(await resp.text())[:200]}")
            with part.open(mode) as fh:
                async for chunk in resp.content.iter_chunked(CHUNK):
                    have += len(chunk)
                    if have > limit:
                        raise BundleError("central sent more than the announced bundle size")
                    await asyncio.to_thread(fh.write, chunk)
                await asyncio.to_thread(os.fsync, fh.fileno())
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DownloadError(f"GET {url}: {type(exc).__name__} {exc}") from exc
