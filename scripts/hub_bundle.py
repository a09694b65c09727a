"""`make hub-bundle`: a signed hub release bundle (decision 1101, format in outlet_protocol/bundle.py).

    python -m scripts.hub_bundle keygen --out release-key.pem      # once, kept offline at HQ
    python -m scripts.hub_bundle build --key release-key.pem --out dist/

`build` makes the wheelhouse (`pip wheel . pip`: the hub, every dependency, and pip itself
so a hub installs with nothing but the bundle), adds `ui/`, writes the manifest (version,
schema, SHA-256 of every file) first in a tar.gz, signs the payload's SHA-256 with the
Ed25519 release key and frames it. The private key never enters the repository.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outlet_protocol import bundle
from outlet_protocol.bundle import Manifest, sha256_hex

ROOT = Path(__file__).resolve().parents[1]
UI_SKIP = ("tests", "node_modules")


def keygen(out: Path) -> str:
    """Write a new private key (0600, PEM) and return the public key as a hub setting holds it."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return bundle.public_key_text(key.public_key())


# What the wheel is built from; copied first, so the build's build/ and *.egg-info never
# land in the checkout (two builds at once, e.g. parallel tests, would share them).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "hub", "central", "outlet_protocol", "ui")


def build_wheelhouse(dest: Path, source: Path = ROOT) -> None:
    """The hub's wheel, its dependencies' wheels and pip's, as pip resolves them now."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "src"
        tree.mkdir()
        for name in SOURCES:
            src = source / name
            if src.is_dir():
                shutil.copytree(src, tree / name, ignore=shutil.ignore_patterns(
                    "__pycache__", "tests", "node_modules"))
            else:
                shutil.copy2(src, tree / name)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir",
                        str(dest), str(tree), "pip"], check=True)


def wheel_version(wheelhouse: Path) -> str:
    """The outlet-hub version the wheelhouse holds."""
    for whl in sorted(wheelhouse.glob("outlet_hub-*.whl")):
        with zipfile.ZipFile(whl) as z:
            meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
            for line in z.read(meta).decode().splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    raise FileNotFoundError(f"no outlet_hub wheel in {wheelhouse}")


def schema_head() -> str:
    """The hub migrations' head revision (what this release migrates a database to)."""
    from alembic.script import ScriptDirectory

    from hub.store import MIGRATIONS
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    return head or ""


def _files(wheelhouse: Path, ui: Path) -> Iterable[tuple[str, Path]]:
    for whl in sorted(wheelhouse.glob("*.whl")):
        yield f"wheelhouse/{whl.name}", whl
    for path in sorted(ui.rglob("*")):
        rel = path.relative_to(ui)
        if path.is_file() and not any(part in UI_SKIP or part.startswith(".")
                                      for part in rel.parts):
            yield f"ui/{rel.as_posix()}", path


def build(wheelhouse: Path, ui: Path, key: Ed25519PrivateKey, out: Path, *,
          version: str | None = None, min_schema: str = "", schema: str | None = None,
          backward_compatible: bool = True) -> Path:
    """Write `<out>/outlet-hub-<version>.bundle` and return its path."""
    files = list(_files(wheelhouse, ui))
    manifest = Manifest(version or wheel_version(wheelhouse), min_schema,
                        schema_head() if schema is None else schema, backward_compatible,
                        {name: sha256_hex(path.read_bytes()) for name, path in files})
    bundle.parse_manifest(manifest.to_bytes())       # what a hub will check, checked here
    payload = io.BytesIO()
    # Level 1: wheels are zips already; higher levels cost seconds and save ~1 %.
    with tarfile.open(fileobj=payload, mode="w:gz", format=tarfile.PAX_FORMAT,
                      compresslevel=1) as tar:
        data = manifest.to_bytes()
        info = tarfile.TarInfo(bundle.MANIFEST)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
        for name, path in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode = path.stat().st_size, 0o644
            with path.open("rb") as fh:
                tar.addfile(info, fh)
    raw = payload.getvalue()
    signature = bundle.sign(key, bytes.fromhex(sha256_hex(raw)))
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"outlet-hub-{manifest.version}.bundle"
    target.write_bytes(bundle.frame(signature, raw))
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="hub-bundle", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    kg = sub.add_parser("keygen", help="make an Ed25519 release key; prints the public key")
    kg.add_argument("--out", required=True, type=Path)
    b = sub.add_parser("build", help="build and sign a bundle")
    b.add_argument("--key", required=True, type=Path, help="the release private key (PEM)")
    b.add_argument("--out", default=Path("dist"), type=Path)
    b.add_argument("--wheelhouse", type=Path, help="use these wheels instead of building them")
    b.add_argument("--min-schema", default="", help="oldest hub schema this release upgrades")
    b.add_argument("--not-backward-compatible", action="store_true",
                   help="the previous release cannot run on this release's schema: hubs back "
                        "their database up before switching")
    args = p.parse_args(argv)
    if args.command == "keygen":
        print(keygen(args.out))
        return 0
    key = bundle.load_private_key(args.key.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        wheelhouse = args.wheelhouse
        if wheelhouse is None:
            wheelhouse = Path(tmp)
            build_wheelhouse(wheelhouse)
        print(build(wheelhouse, ROOT / "ui", key, args.out, min_schema=args.min_schema,
                    backward_compatible=not args.not_backward_compatible))
    return 0


if __name__ == "__main__":
    sys.exit(main())
