"""The hub release bundle: its framing, its Ed25519 signature and its manifest (decision 1101).

One file, so central stores and serves one thing and a resumed download is one Range:

    b"OUTLETHUB-BUNDLE-1\\n"  (19 bytes)  |  signature (64 bytes)  |  payload (tar.gz)

The signature covers SHA-256 of the payload (with a context prefix, so no other
message signed by the release key can pass for a bundle). The hub hashes the payload as
it downloads, checks the signature with the public key provisioning gave it, and only
then opens the tar: a wrongly signed bundle is refused before a single byte is unpacked.
Inside, `manifest.json` names the version, the schema it needs and the SHA-256 of every
other file; the unpacker checks each file against it. Pure functions: no file, no socket.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from outlet_protocol.releases import valid_version

MAGIC = b"OUTLETHUB-BUNDLE-1\n"
SIGNATURE_BYTES = 64
HEADER_BYTES = len(MAGIC) + SIGNATURE_BYTES
_CONTEXT = b"outlet-hub release bundle v1\x00"
MANIFEST = "manifest.json"
# A wheelhouse of the hub and its dependencies is ~40 MB; 512 MB bounds a hostile answer.
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_FILES = 5000
# Files may only live under these folders: nothing lands outside the release directory.
TOP_FOLDERS = ("wheelhouse", "ui")
_PATH_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BundleError(ValueError):
    """The bundle is not one this hub may install; the message says why (for /health, central)."""


def signed_message(payload_sha256: bytes) -> bytes:
    """What the release key signs: a context prefix and the payload's SHA-256."""
    return _CONTEXT + payload_sha256


def sign(private_key: Ed25519PrivateKey, payload_sha256: bytes) -> bytes:
    """The 64-byte signature for a payload digest."""
    return private_key.sign(signed_message(payload_sha256))


def frame(signature: bytes, payload: bytes) -> bytes:
    """The bundle file for a signed payload."""
    if len(signature) != SIGNATURE_BYTES:
        raise BundleError("an Ed25519 signature is 64 bytes")
    return MAGIC + signature + payload


def signature_of(header: bytes) -> bytes:
    """The signature from a bundle's first HEADER_BYTES; raises BundleError if not a bundle."""
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise BundleError("not an outlet-hub bundle (bad magic or too short)")
    return header[len(MAGIC):HEADER_BYTES]


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """The release signing key from its PKCS#8 PEM (kept offline at HQ, never in the repo)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError("the release key must be an Ed25519 private key")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    """The form a hub setting holds: base64 of the 32 raw bytes (fits one TOML line)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key from base64 of its 32 raw bytes; raises BundleError naming the problem."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BundleError("release public key is not base64") from None
    if len(raw) != 32:
        raise BundleError("release public key must be 32 bytes (Ed25519)")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify(key: Ed25519PublicKey, signature: bytes, payload_sha256: bytes) -> None:
    """Raise BundleError unless `signature` is the release key's over this payload."""
    try:
        key.verify(signature, signed_message(payload_sha256))
    except InvalidSignature:
        raise BundleError("bundle signature does not match the release key") from None


def safe_path(name: str) -> bool:
    """A relative path under one of TOP_FOLDERS, with no `..`, no absolute part, no oddities."""
    parts = name.split("/")
    return (len(parts) >= 2 and parts[0] in TOP_FOLDERS and len(name) <= 512
            and all(_PATH_PART.match(p) for p in parts))


@dataclass(frozen=True)
class Manifest:
    """What a release is: version, the schema it needs, and every file's SHA-256."""

    version: str
    min_schema: str
    schema: str
    backward_compatible: bool
    files: dict[str, str]

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys) as it goes into the bundle."""
        return json.dumps({"format": 1, "version": self.version, "min_schema": self.min_schema,
                           "schema": self.schema,
                           "backward_compatible": self.backward_compatible,
                           "files": self.files}, sort_keys=True, indent=1).encode()

    @property
    def wheels(self) -> list[str]:
        """The wheelhouse's files, in a stable order."""
        return sorted(p for p in self.files if p.startswith("wheelhouse/") and p.endswith(".whl"))


def parse_manifest(raw: bytes) -> Manifest:
    """Validate a manifest; raises BundleError naming the field."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise BundleError("manifest larger than 1 MiB")
    try:
        body = json.loads(raw)
    except ValueError:
        raise BundleError("manifest is not JSON") from None
    if not isinstance(body, dict) or body.get("format") != 1:
        raise BundleError("manifest format must be 1")
    if not valid_version(body.get("version")):
        raise BundleError("manifest version is missing or not a plain version string")
    files = body.get("files")
    if not isinstance(files, dict) or not files or len(files) > MAX_FILES:
        raise BundleError(f"manifest files must map 1..{MAX_FILES} paths to SHA-256")
    for path, digest in files.items():
        if not safe_path(path):
            raise BundleError(f"manifest names an unsafe path {path[:80]!r}")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise BundleError(f"manifest digest of {path[:80]!r} is not SHA-256 hex")
    schema, min_schema = body.get("schema", ""), body.get("min_schema", "")
    if not isinstance(schema, str) or not isinstance(min_schema, str) \
            or len(schema) > 32 or len(min_schema) > 32:
        raise BundleError("manifest schema and min_schema must be revision ids")
    compatible = body.get("backward_compatible")
    if not isinstance(compatible, bool):
        raise BundleError("manifest backward_compatible must be true or false")
    return Manifest(str(body["version"]), min_schema, schema, compatible, dict(files))


def sha256_hex(data: bytes) -> str:
    """SHA-256 of bytes, hex."""
    return hashlib.sha256(data).hexdigest()
