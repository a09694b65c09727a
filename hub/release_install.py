"""Check, unpack and install a release bundle beside the running one (decision 1101).

Order matters and is the point of this module: the signature over the whole payload is
checked before the tar is opened; the tar is then read as a stream and every member must
be a regular file the manifest names, with the manifest's SHA-256; the new virtualenv is
built from the bundle's wheelhouse alone (`--no-index`), with pip taken from the
wheelhouse too, so the install needs neither the network nor the running version's pip.
Blocking work: the updater runs it in a thread.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import IO

from hub.release_layout import Layout
from outlet_protocol import bundle
from outlet_protocol.bundle import BundleError, Manifest

CHUNK = 1024 * 1024
INSTALLED_MARK = ".installed"
# Unpacked wheels plus a virtualenv take about 3 times the bundle; the margin keeps SQLite
# (which must go on committing orders) clear of a full disk.
SPACE_FACTOR = 4
SPACE_MARGIN = 200 * 1024 * 1024
PIP_TIMEOUT = 600.0


class InstallError(RuntimeError):
    """The release could not be installed; the running version is untouched."""


def check_space(path: Path, bundle_size: int, margin: int = SPACE_MARGIN) -> None:
    """Raise InstallError when the disk holding `path` lacks room for this release."""
    path.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(path).free
    need = bundle_size * SPACE_FACTOR + margin
    if free < need:
        raise InstallError(f"not enough disk space for the release: {free // 2**20} MiB free, "
                           f"{need // 2**20} MiB needed")


def _payload_digest(fh: IO[bytes], limit: int) -> bytes:
    digest = hashlib.sha256()
    total = 0
    while chunk := fh.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise BundleError(f"bundle larger than {limit // 2**20} MiB")
        digest.update(chunk)
    return digest.digest()


def verify_signature(path: Path, public_key: str) -> None:
    """Raise BundleError unless `path` is a bundle signed by the release key (nothing unpacked)."""
    if not public_key:
        raise BundleError("no release_public_key configured: refusing every bundle")
    key = bundle.load_public_key(public_key)
    with path.open("rb") as fh:
        signature = bundle.signature_of(fh.read(bundle.HEADER_BYTES))
        bundle.verify(key, signature, _payload_digest(fh, bundle.MAX_BUNDLE_BYTES))


def _members(path: Path) -> tuple[IO[bytes], tarfile.TarFile]:
    fh = path.open("rb")
    fh.seek(bundle.HEADER_BYTES)
    return fh, tarfile.open(fileobj=fh, mode="r|gz")


def read_manifest(path: Path, public_key: str) -> Manifest:
    """The manifest of a bundle whose signature holds (the first member, by construction)."""
    verify_signature(path, public_key)
    fh, tar = _members(path)
    with fh, tar:
        first = tar.next()
        if first is None or first.name != bundle.MANIFEST or not first.isfile():
            raise BundleError("the bundle's first member must be manifest.json")
        if first.size > bundle.MAX_MANIFEST_BYTES:
            raise BundleError("manifest larger than 1 MiB")
        data = tar.extractfile(first)
        assert data is not None
        return bundle.parse_manifest(data.read())


def unpack(path: Path, manifest: Manifest, dest: Path) -> None:
    """Write every file the manifest names into `dest`, checking each one's SHA-256."""
    seen: set[str] = set()
    fh, tar = _members(path)
    with fh, tar:
        for member in tar:
            if member.name == bundle.MANIFEST:
                continue
            expected = manifest.files.get(member.name)
            if expected is None or not member.isfile() or member.name in seen:
                raise BundleError(f"bundle member {member.name[:80]!r} is not in the manifest "
                                  f"or not a regular file")
            seen.add(member.name)
            target = dest / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            digest = hashlib.sha256()
            with target.open("wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected:
                raise BundleError(f"{member.name[:80]} does not match its manifest digest")
    missing = set(manifest.files) - seen
    if missing:
        raise BundleError(f"bundle lacks {len(missing)} file(s) of its manifest, "
                          f"e.g. {sorted(missing)[0][:80]}")


def schema_revision(db_path: Path) -> str:
    """The alembic revision the hub's database is at ("" for a new database)."""
    if not db_path.exists():
        return ""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return ""
    finally:
        conn.close()
    return str(row[0]) if row else ""


def check_schema(manifest: Manifest, db_path: Path) -> None:
    """Refuse a release that needs a schema this database has not reached yet."""
    if not manifest.min_schema:
        return
    current = schema_revision(db_path)
    from alembic.script import ScriptDirectory

    from hub.store import MIGRATIONS
    script = ScriptDirectory(str(MIGRATIONS))
    known = {r.revision for r in script.iterate_revisions(current, "base")} if current else set()
    if manifest.min_schema not in known:
        raise InstallError(f"release {manifest.version} needs database schema "
                           f"{manifest.min_schema}; this hub is at {current or 'none'}")


def _run(argv: list[str], what: str) -> None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=PIP_TIMEOUT,
                             check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{what}: {exc}") from None
    if out.returncode != 0:
        raise InstallError(f"{what} failed: {(out.stderr or out.stdout).strip()[-400:]}")


def base_python() -> str:
    """The interpreter new virtualenvs are made from (the base of the running venv)."""
    return str(getattr(sys, "_base_executable", "") or sys.executable)


def install(layout: Layout, bundle_path: Path, public_key: str, db_path: Path,
            python: str | None = None) -> Manifest:
    """Verify, unpack and build `releases/<version>`; on any failure nothing of it remains."""
    manifest = read_manifest(bundle_path, public_key)
    check_schema(manifest, db_path)
    pips = [w for w in manifest.wheels if Path(w).name.startswith("pip-")]
    if not pips:
        raise BundleError("the wheelhouse has no pip wheel to install with")
    dest = layout.release(manifest.version)
    if (dest / INSTALLED_MARK).exists():
        return manifest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    try:
        unpack(bundle_path, manifest, dest)
        (dest / bundle.MANIFEST).write_bytes(manifest.to_bytes())
        venv = dest / "venv"
        # The venv is built at its final path: scripts and pyvenv.cfg hold absolute paths.
        _run([python or base_python(), "-m", "venv", "--without-pip", str(venv)], "venv")
        wheels = [str(dest / w) for w in manifest.wheels]
        _run([str(venv / "bin" / "python"), str(dest / pips[-1]) + "/pip", "install",
              "--no-index", "--no-deps", "--no-compile", "--disable-pip-version-check",
              "--quiet", *wheels], "pip install")
        _run([str(venv / "bin" / "python"), "-m", "pip", "check",
              "--disable-pip-version-check"], "pip check")
        if not (venv / "bin" / "outlet-hub").exists():
            raise InstallError("the release has no outlet-hub program")
        (dest / INSTALLED_MARK).write_text(manifest.version + "\n")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return manifest
