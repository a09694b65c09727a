"""Releases on disk, side by side (decision 1101): the layout the image adopts.

    <root>/releases/<version>/venv/      the release's own virtualenv (hub + dependencies)
    <root>/releases/<version>/ui/        the browser apps of that release
    <root>/releases/<version>/manifest.json
    <root>/current  -> releases/<version>   what systemd starts (switched by rename: atomic)
    <root>/previous -> releases/<version>   the fallback a rollback switches back to
    <root>/downloads/<version>.bundle(.part)
    <root>/backups/                      the database before a non-backward-compatible migration
    <root>/update.json                   the UpdateRecord every process reads (hub/core/updates.py)

Standard library only: the guard that runs before every start imports this and
hub/core/updates.py and nothing else, so a release whose hub cannot import still rolls back.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from hub.core.updates import UpdateRecord
from hub.sqlite_backup import fsync_path
from outlet_protocol.releases import valid_version

RECORD = "update.json"
KEEP_RELEASES = 2


class Layout:
    """Paths under one update root and the few atomic operations on them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.releases = root / "releases"
        self.downloads = root / "downloads"
        self.backups = root / "backups"

    def release(self, version: str) -> Path:
        """The directory of one release (the version was checked to be a plain name)."""
        if not valid_version(version):
            raise ValueError(f"not a release version: {version!r}")
        return self.releases / version

    def hub_program(self, link: str = "current") -> Path:
        """The `outlet-hub` console script systemd (or the launcher) starts."""
        return self.root / link / "venv" / "bin" / "outlet-hub"

    def linked_version(self, link: str = "current") -> str:
        """The version a symlink names, "" when it does not exist."""
        try:
            return Path(os.readlink(self.root / link)).name
        except OSError:
            return ""

    def point(self, link: str, version: str) -> None:
        """Make `<root>/<link>` name `version`: a new symlink renamed over the old one, so a
        crash at any moment leaves either the old or the new target, never none."""
        target = Path("releases") / version
        if not (self.root / target).is_dir():
            raise FileNotFoundError(f"release {version} is not installed under {self.releases}")
        tmp = self.root / f".{link}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(target, tmp)
        os.replace(tmp, self.root / link)
        fsync_path(self.root)

    def read_record(self, running: str) -> UpdateRecord:
        """The stored record; a missing or unreadable one is a fresh idle record on `running`."""
        try:
            raw = json.loads((self.root / RECORD).read_text())
        except (OSError, ValueError):
            return UpdateRecord(running)
        return UpdateRecord.from_json(raw, running)

    def write_record(self, rec: UpdateRecord) -> None:
        """Write, fsync, rename: the record survives a power cut in one piece."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{RECORD}.tmp"
        with tmp.open("w") as fh:
            json.dump(rec.to_json(), fh, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / RECORD)
        fsync_path(self.root)

    def prune(self, keep: tuple[str, ...]) -> list[str]:
        """Remove releases and downloads other than `keep` (current and previous: two on disk)."""
        removed = []
        for path in sorted(self.releases.glob("*")):
            if path.name not in keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        for path in sorted(self.downloads.glob("*")):
            if path.name.split(".bundle")[0] not in keep:
                path.unlink(missing_ok=True)
        return removed

