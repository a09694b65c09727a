"""hub.toml as provisioning writes it: the outlet_hub role's own template and defaults.

Rendered by tests/support/role_templates.py the way Ansible's template module does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.processes import ROOT, Hub
from tests.support.role_templates import render_role_template, role_vars

__all__ = ["provisioned_hub", "render_hub_toml", "role_vars"]


def render_hub_toml(**overrides: Any) -> str:
    """templates/hub.toml.j2 with the role's defaults plus `outlet_hub_*` overrides."""
    return render_role_template("outlet_hub", "hub.toml.j2", **overrides)


def provisioned_hub(workdir: Path, *, ui_dir: Path = ROOT / "ui", name: str = "hub",
                    **overrides: Any) -> Hub:
    """A Hub process whose only configuration is the role-rendered `<workdir>/<name>.toml`.

    The test harness's own values (ports, data dir, bind, no MQTT, no zeroconf) go in as
    role variables, and every HUB_* variable is taken out of the process environment, so
    nothing but the file configures the hub (as under systemd on a provisioned hub).
    """
    hub = Hub(workdir, name=name)
    values = {
        "outlet_hub_outlet_id": 1, "outlet_hub_hub_id": f"{name}-test",
        "outlet_hub_data_dir": str(hub.data_dir), "outlet_hub_ui_dir": str(ui_dir),
        "outlet_hub_bind": "127.0.0.1", "outlet_hub_ws_port": hub.ws_port,
        "outlet_hub_http_port": hub.http_port, "outlet_hub_mqtt_url": "none",
        "outlet_hub_zeroconf": False, "outlet_hub_log_level": "info",
        # The role's update root is /opt/outlet-hub, the provisioned layout (decision 1101):
        # a hub run from this checkout has no releases there.
        "outlet_hub_update_root": "",
    } | overrides
    config = workdir / f"{name}.toml"
    config.write_text(render_hub_toml(**values), encoding="utf-8")
    hub.env = {k: v for k, v in hub.env.items()
               if not k.startswith("HUB_") and k not in ("WS_PORT", "HTTP_PORT")}
    hub.env["HUB_CONFIG"] = str(config)
    return hub
