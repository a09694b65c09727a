"""Hub releases for tests: one real wheelhouse per module, restamped as versions N, N+1, N+2.

`pip wheel` of the hub and its dependencies runs once (≈ 6 s with pip's cache); each
test version is that real hub wheel with its version changed (METADATA, dist-info names,
`hub.__version__`, a fresh RECORD) — and for the bad release, a `main` that exits at once.
Everything after that is the real path: signed bundle, central, download, the installer's
venv + pip from the wheelhouse, the symlink switch and the launcher playing systemd.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.release_layout import Layout
from scripts.hub_bundle import build, build_wheelhouse, wheel_version
from tests.support.processes import ROOT, Hub

EXITS_AT_START = '\n\ndef main(argv=None):\n    raise SystemExit("bad release: exits at start")\n'


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def restamp(wheel: Path, version: str, dest: Path, *, exits_at_start: bool = False) -> Path:
    """The hub wheel as `version` (and, if asked, a hub whose program exits at start)."""
    old = wheel.name.split("-")[1]
    rename = re.compile(rf"^outlet_hub-{re.escape(old)}\.(dist-info|data)/")
    files: list[tuple[str, bytes]] = []
    with zipfile.ZipFile(wheel) as src:
        for info in src.infolist():
            name = rename.sub(rf"outlet_hub-{version}.\1/", info.filename)
            data = src.read(info)
            if name.endswith(".dist-info/METADATA"):
                data = re.sub(rb"(?m)^Version: .*$", f"Version: {version}".encode(), data)
            elif name == "hub/__init__.py":
                data = re.sub(rb'__version__ = "[^"]*"', f'__version__ = "{version}"'.encode(),
                              data)
            elif name == "hub/cli.py" and exits_at_start:
                data += EXITS_AT_START.encode()
            if not name.endswith(".dist-info/RECORD"):
                files.append((name, data))
    record = f"outlet_hub-{version}.dist-info/RECORD"
    lines = [_record_line(n, d) for n, d in files] + [f"{record},,"]
    files.append((record, ("\n".join(lines) + "\n").encode()))
    out = dest / f"outlet_hub-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(name, data)
    return out


def later_version(version: str, steps: int = 1) -> str:
    """`version` with its last number raised by `steps` (0.1.0 → 0.1.1): N+1, N+2 of a
    wheel whose version is not known in advance (the one an image was baked from)."""
    head, _, last = version.rpartition(".")
    digits = re.match(r"\d+", last)
    if digits is None:
        raise ValueError(f"{version!r} does not end in a number")
    return f"{head}{'.' if head else ''}{int(digits.group()) + steps}"


def stand_in_bundle(tmp_path: Path, key: Ed25519PrivateKey, version: str = "2.0.0") -> Path:
    """A correctly signed bundle whose wheels are stand-ins: enough for everything before
    the venv (signature, manifest, unpacking, central's publish), built in milliseconds."""
    house, ui = tmp_path / "wh", tmp_path / "ui"
    house.mkdir(parents=True)
    (ui / "kitchen").mkdir(parents=True)
    (house / "pip-26.0-py3-none-any.whl").write_bytes(b"stand-in pip")
    (house / f"outlet_hub-{version}-py3-none-any.whl").write_bytes(b"stand-in hub")
    (ui / "kitchen" / "index.html").write_text("<h1>kitchen</h1>")
    (ui / "tests").mkdir()
    (ui / "tests" / "x.test.mjs").write_text("left out of bundles")
    return build(house, ui, key, tmp_path / "out", version=version, schema="0655")


class ReleaseKit:
    """A release key, the module's wheelhouse and the bundles made from it.

    `base`: start from that wheelhouse instead of building one — the one an image was baked
    from (build/wheelhouse-amd64), so its releases carry the very dependencies the image has
    and the version the image runs is the one they are restamped from; pip's own wheel, which
    a bundle must hold, is added. `key`: sign with it (a central started before the kit
    already trusts it).
    """

    def __init__(self, workdir: Path, base: Path | None = None,
                 key: Ed25519PrivateKey | None = None) -> None:
        self.workdir = workdir
        self.key = key or Ed25519PrivateKey.generate()
        self.base = workdir / "wheelhouse"
        self.base.mkdir(parents=True)
        if base is None:
            build_wheelhouse(self.base)
        else:
            for whl in base.glob("*.whl"):
                shutil.copy2(whl, self.base / whl.name)
            if not list(self.base.glob("pip-*.whl")):
                subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                                "--wheel-dir", str(self.base), "pip"], check=True)
        self.hub_wheel = next(self.base.glob("outlet_hub-*.whl"))
        self.version = wheel_version(self.base)
        self.built: dict[tuple[str, bool, bool], Path] = {}

    def bundle(self, version: str, *, exits_at_start: bool = False,
               key: Ed25519PrivateKey | None = None, backward_compatible: bool = True) -> Path:
        """A signed bundle of `version` (with another key when `key` is given), built once."""
        known = (version, exits_at_start, key is None)
        if known in self.built:
            return self.built[known]
        house = self.workdir / f"wheels-{version}{'-bad' if exits_at_start else ''}"
        shutil.rmtree(house, ignore_errors=True)
        house.mkdir()
        for whl in self.base.glob("*.whl"):
            if whl != self.hub_wheel:
                (house / whl.name).symlink_to(whl)
        restamp(self.hub_wheel, version, house, exits_at_start=exits_at_start)
        out = self.workdir / ("bundles-other-key" if key is not None else "bundles")
        self.built[known] = build(house, ROOT / "ui", key or self.key, out,
                                  backward_compatible=backward_compatible)
        return self.built[known]


class LaunchedHub(Hub):
    """A hub installed under an update root and run by `hub.launcher supervise` (systemd's
    role): the program started is `<root>/current/venv/bin/outlet-hub`, never this checkout."""

    def __init__(self, workdir: Path, root: Path, **kwargs: object) -> None:
        super().__init__(workdir, **kwargs)  # type: ignore[arg-type]
        self.root = root
        self.layout = Layout(root)
        self.argv = [sys.executable, "-m", "hub.launcher", "supervise", "--root", str(root),
                     "--restart-seconds", "0.2", "--", "run"]
