"""How the hub trusts central over HTTPS: the system's CAs, or only HQ's pinned CA.

HQ's nginx (provisioning/roles/reverse_proxy) serves a self-signed certificate unless the
operator brings one. A hub told `central_ca_file` trusts that certificate and nothing else
for every call to central (register, heartbeat, orders, menu, restore's floor): a public
CA cannot vouch for an impostor, and a missing or wrong file fails closed.
"""

from __future__ import annotations

import ssl

from hub.config import HubConfig


def central_ssl_context(cfg: HubConfig) -> ssl.SSLContext:
    """The TLS context for central: only `central_ca_file` when set, else the system store."""
    if cfg.central_ca_file:
        # cafile= loads that file alone (no load_default_certs): the pin.
        return ssl.create_default_context(cafile=cfg.central_ca_file)
    return ssl.create_default_context()
