"""The boot tests need a built disk image; they are their own targets, not part of `pytest tests/`.

`make image-test` / `make image-test-pi` build the image and run these files by path with
OUTLET_IMAGE_TEST / OUTLET_PI_IMAGE set. Plain collection leaves them out rather than
reporting them as skipped.
"""

import os
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outlet_protocol.bundle import public_key_text
from tests.central.conftest import CentralUnderTest, start_central

collect_ignore = []
if not os.environ.get("OUTLET_IMAGE_TEST"):
    collect_ignore.append("test_image_boot.py")
if not os.environ.get("OUTLET_PI_IMAGE"):
    collect_ignore += ["test_pi_root.py", "test_pi_boot.py"]


@pytest.fixture(scope="module")
def release_key() -> Ed25519PrivateKey:
    """HQ's release signing key for this module: central publishes only what it signed, and
    the booted hub is given its public key in outlet.toml (decision 1101)."""
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory,
       release_key: Ed25519PrivateKey) -> Iterator[CentralUnderTest]:
    """A real central (SQLite) for a booted image to enroll with, reached through a guestfwd."""
    work = tmp_path_factory.mktemp("central")
    proc = start_central(work, f"sqlite:///{work / 'central.db'}",
                         CENTRAL_RELEASE_PUBLIC_KEY=public_key_text(release_key.public_key()))
    try:
        yield CentralUnderTest(proc, proc.admin_token(), "sqlite")
    finally:
        proc.kill()
