"""hub.toml as provisioning writes it: the outlet_hub role's own template and defaults.

Rendered with Jinja2 the way Ansible's template module does (trim_blocks, the defaults'
`{{ }}` resolved); only the Ansible filters the template uses are emulated (`comment`,
`bool`, `to_json`). tests/images/test_firstboot_config.py renders the same template under
ansible-core and compares, so a template that renders here renders on a hub.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import yaml

from tests.support.processes import ROOT, Hub

ROLE = ROOT / "provisioning" / "roles" / "outlet_hub"


def _comment(text: str) -> str:
    return "#\n" + "\n".join(f"# {line}" if line else "#" for line in text.splitlines()) + "\n#"


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _to_json(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, **kwargs)


def role_vars(**overrides: Any) -> dict[str, Any]:
    """The role's defaults with overrides applied and `{{ }}` defaults resolved."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    values: dict[str, Any] = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    values |= {"playbook_dir": str(ROOT / "provisioning"), "ansible_managed": "Ansible managed"}
    values |= overrides
    for _ in range(3):          # defaults that name other defaults (outlet_hub_ui_dir → install_dir)
        for key, value in list(values.items()):
            if isinstance(value, str) and "{{" in value:
                values[key] = env.from_string(value).render(values)
    return values


def render_hub_toml(**overrides: Any) -> str:
    """templates/hub.toml.j2 with the role's defaults plus `outlet_hub_*` overrides."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLE / "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)
    env.filters["comment"] = _comment
    env.filters["bool"] = _bool
    env.filters["to_json"] = _to_json
    return env.get_template("hub.toml.j2").render(role_vars(**overrides))


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
    } | overrides
    config = workdir / f"{name}.toml"
    config.write_text(render_hub_toml(**values), encoding="utf-8")
    hub.env = {k: v for k, v in hub.env.items()
               if not k.startswith("HUB_") and k not in ("WS_PORT", "HTTP_PORT")}
    hub.env["HUB_CONFIG"] = str(config)
    return hub
