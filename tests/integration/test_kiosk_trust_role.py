"""The kiosk_trust role (issue 16): a screen IT manages trusts the outlet LAN CA in its NSS
database and in Chromium's managed policy. Real ansible-playbook (local connection) with
the role's own files, writing only under tmp_path; run twice, the second run changes nothing."""

from __future__ import annotations

import base64
import getpass
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from central.core import pki
from tests.support.ansible_local import run_local_play
from tests.support.processes import ROOT


def _play(tmp_path: Path, bundle: bytes) -> str:
    return run_local_play(tmp_path, f"""
- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: {ROOT / 'provisioning' / 'roles' / 'kiosk_trust'}
""", {
        "kiosk_trust_ca_pem": bundle.decode(), "kiosk_trust_user": getpass.getuser(),
        "kiosk_trust_nssdb": str(tmp_path / "home" / ".pki" / "nssdb"),
        "kiosk_trust_system_store": False, "kiosk_trust_install_packages": False,
        "kiosk_trust_chromium_policy_dirs": [str(tmp_path / "policies" / "managed")],
    })


def test_role_trusts_every_ca_of_the_bundle_in_nss_and_chromium_policy(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    cas = [pki.create_authority(f"Test CA {i}", now) for i in (1, 2)]   # active + retired
    bundle = b"".join(ca.cert_pem for ca in cas)
    _play(tmp_path, bundle)
    second = _play(tmp_path, bundle)
    assert "changed=0" in second, second

    nssdb = tmp_path / "home" / ".pki" / "nssdb"
    listed = subprocess.run(["certutil", "-L", "-d", f"sql:{nssdb}"], capture_output=True,
                            text=True, check=True).stdout
    for i in (1, 2):
        assert any(line.startswith(f"Outlet LAN CA {i} ") and line.rstrip().endswith("C,,")
                   for line in listed.splitlines()), listed
    policy = json.loads((tmp_path / "policies" / "managed" / "outlet-lan-ca.json").read_text())
    ders = [x509.load_pem_x509_certificate(ca.cert_pem).public_bytes(Encoding.DER) for ca in cas]
    assert [base64.b64decode(c) for c in policy["CACertificates"]] == ders
