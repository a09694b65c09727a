"""Hubs' uploaded backups: what central accepts and where it files it, with no I/O.

A hub uploads the newest file `outlet-hub backup` wrote (issue 15 item 2) so an outlet
whose hub dies with its disk can be restored from HQ. Central keeps a few per hub, files
them under a name derived from the authenticated hub (never from the request), and takes
only SQLite files no larger than its configured bound.
"""

from __future__ import annotations

import hashlib
import re

SQLITE_HEADER = b"SQLite format 3\x00"
PREFIX = "hub-"
SUFFIX = ".sqlite"
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def hub_directory(hub_id: str) -> str:
    """A directory name for the hub: its id when plainly safe, else a digest of it."""
    if _SAFE.fullmatch(hub_id) and hub_id not in (".", ".."):
        return hub_id
    return "id-" + hashlib.sha256(hub_id.encode()).hexdigest()[:32]


def is_sqlite(first_bytes: bytes) -> bool:
    """True when the upload starts like an SQLite database file."""
    return first_bytes.startswith(SQLITE_HEADER)

