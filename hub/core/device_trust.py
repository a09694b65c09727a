"""What a device installs to trust the outlet LAN CA, built from the CA bundle with no I/O.

One bundle, three shapes, because each platform takes its own (decision 1001):
Android and ChromeOS import a DER `.crt` (one certificate per file: the active CA, first
in the bundle); iPhone/iPad install a configuration profile with a root payload per CA;
Chromium on managed Linux kiosks reads `CACertificates` from a policy file
(/etc/chromium/policies/managed/, Chromium 131+).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from xml.sax.saxutils import escape

# Files a device may fetch, and what the QR code may point at.
FILES = {
    "outlet-ca.crt": "application/x-x509-ca-cert",
    "outlet-ca.mobileconfig": "application/x-apple-aspen-config",
    "chromium-policy.json": "application/json",
}


def _ders(bundle_pem: bytes) -> list[bytes]:
    # Imported here: a hub that serves no CA bundle never loads `cryptography` (~10 MB RSS).
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(bundle_pem)]


def active_der(bundle_pem: bytes) -> bytes:
    """The active CA (the bundle's first certificate) as DER, for Android and ChromeOS."""
    return _ders(bundle_pem)[0]


def chromium_policy(bundle_pem: bytes) -> str:
    """A Chromium managed-policy file that trusts every CA of the bundle for websites."""
    certs = [base64.b64encode(d).decode() for d in _ders(bundle_pem)]
    return json.dumps({"CACertificates": certs}, indent=2) + "\n"


def _stable_uuid(*parts: str) -> str:
    """The same profile for the same bundle: reinstalling replaces rather than duplicates."""
    return str(uuid.UUID(hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]))


def apple_profile(bundle_pem: bytes, organisation: str) -> str:
    """An iOS/iPadOS configuration profile with one root-certificate payload per CA."""
    ders = _ders(bundle_pem)
    fingerprint = hashlib.sha256(b"".join(ders)).hexdigest()
    payloads = "".join(f"""
    <dict>
      <key>PayloadType</key><string>com.apple.security.root</string>
      <key>PayloadVersion</key><integer>1</integer>
      <key>PayloadIdentifier</key><string>outlet-hub.ca.{i}</string>
      <key>PayloadUUID</key><string>{_stable_uuid(fingerprint, str(i))}</string>
      <key>PayloadDisplayName</key><string>Outlet LAN CA {i + 1}</string>
      <key>PayloadContent</key><data>{base64.b64encode(der).decode()}</data>
    </dict>""" for i, der in enumerate(ders))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadVersion</key><integer>1</integer>
  <key>PayloadIdentifier</key><string>outlet-hub.trust</string>
  <key>PayloadUUID</key><string>{_stable_uuid(fingerprint)}</string>
  <key>PayloadDisplayName</key><string>{escape(organisation[:100])} — outlet screens</string>
  <key>PayloadDescription</key><string>Lets this device open the outlet hub's apps over HTTPS.</string>
  <key>PayloadContent</key>
  <array>{payloads}
  </array>
</dict>
</plist>
"""


def download_url(host: str, plain_port: int, file: str) -> str:
    """Where a device that does not trust the CA yet fetches `file`: plain HTTP, same host."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{plain_port}/trust/{file}"
