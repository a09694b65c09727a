"""Release bundles at the hub (outlet_protocol/bundle.py, hub/release_install.py): the
signature is checked before the tar is opened, and nothing the manifest does not name, or
that does not match its digest, is left on disk. Small fake wheels: no venv is built here."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.release_install import InstallError, check_space, install, read_manifest
from hub.release_layout import Layout
from outlet_protocol import bundle
from outlet_protocol.bundle import BundleError, Manifest, sha256_hex
from tests.support.releases import stand_in_bundle

KEY = Ed25519PrivateKey.generate()
PUBLIC = bundle.public_key_text(KEY.public_key())


@pytest.fixture
def made(tmp_path: Path) -> Path:
    return stand_in_bundle(tmp_path, KEY, "2.0")


def payload_bundle(members: dict[str, bytes], files: dict[str, str], path: Path) -> Path:
    """A correctly signed bundle with exactly these tar members and this manifest."""
    manifest = Manifest("2.0", "", "0655", True, files)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in {bundle.MANIFEST: manifest.to_bytes(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    payload = raw.getvalue()
    path.write_bytes(bundle.frame(bundle.sign(KEY, bytes.fromhex(sha256_hex(payload))),
                                  payload))
    return path


def test_built_bundle_reads_back_its_manifest_without_ui_tests(made: Path) -> None:
    manifest = read_manifest(made, PUBLIC)
    assert manifest.version == "2.0"
    assert set(manifest.files) == {"wheelhouse/pip-26.0-py3-none-any.whl",
                                   "wheelhouse/outlet_hub-2.0-py3-none-any.whl",
                                   "ui/kitchen/index.html"}   # not ui/tests/
    assert manifest.files["ui/kitchen/index.html"] == sha256_hex(b"<h1>kitchen</h1>")


def test_a_flipped_byte_is_refused_before_anything_is_unpacked(made: Path,
                                                              tmp_path: Path) -> None:
    data = bytearray(made.read_bytes())
    data[-100] ^= 0x01
    made.write_bytes(bytes(data))
    layout = Layout(tmp_path / "root")
    with pytest.raises(BundleError, match="signature does not match"):
        install(layout, made, PUBLIC, tmp_path / "hub.sqlite3")
    assert not layout.releases.exists()


def test_another_key_or_no_key_is_refused(made: Path) -> None:
    other = bundle.public_key_text(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(BundleError, match="signature does not match"):
        read_manifest(made, other)
    with pytest.raises(BundleError, match="no release_public_key"):
        read_manifest(made, "")


def test_a_file_that_is_not_a_bundle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.bundle"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 200)
    with pytest.raises(BundleError, match="not an outlet-hub bundle"):
        read_manifest(path, PUBLIC)


def test_a_member_the_manifest_does_not_name_leaves_nothing_behind(tmp_path: Path) -> None:
    pip = b"pip"
    path = payload_bundle({"wheelhouse/pip-26.0-py3-none-any.whl": pip,
                           "ui/evil.js": b"alert(1)"},
                          {"wheelhouse/pip-26.0-py3-none-any.whl": sha256_hex(pip)},
                          tmp_path / "b.bundle")
    layout = Layout(tmp_path / "root")
    with pytest.raises(BundleError, match="not in the manifest"):
        install(layout, path, PUBLIC, tmp_path / "hub.sqlite3")
    assert list(layout.releases.iterdir()) == []


def test_a_file_that_differs_from_its_digest_leaves_nothing_behind(tmp_path: Path) -> None:
    path = payload_bundle({"wheelhouse/pip-26.0-py3-none-any.whl": b"changed"},
                          {"wheelhouse/pip-26.0-py3-none-any.whl": sha256_hex(b"original")},
                          tmp_path / "b.bundle")
    layout = Layout(tmp_path / "root")
    with pytest.raises(BundleError, match="does not match its manifest digest"):
        install(layout, path, PUBLIC, tmp_path / "hub.sqlite3")
    assert list(layout.releases.iterdir()) == []


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "wheelhouse/../../x",
                                  "other/x.whl", "ui/.hidden", "ui", "ui//x"])
def test_unsafe_manifest_paths_are_refused(name: str) -> None:
    raw = Manifest("2.0", "", "", True, {name: "0" * 64}).to_bytes()
    with pytest.raises(BundleError, match="unsafe path"):
        bundle.parse_manifest(raw)


@pytest.mark.parametrize("version", ["..", "../x", "a/b", "", "x" * 41])
def test_manifest_versions_must_be_plain_names(version: str) -> None:
    raw = Manifest(version, "", "", True, {"ui/a": "0" * 64}).to_bytes()
    with pytest.raises(BundleError, match="version"):
        bundle.parse_manifest(raw)


def test_disk_space_is_checked_before_download(tmp_path: Path) -> None:
    check_space(tmp_path, 1024, margin=0)
    with pytest.raises(InstallError, match="not enough disk space"):
        check_space(tmp_path, 2**60)
