"""A role's template rendered as Ansible's template module would, without Ansible.

Jinja2 with trim_blocks, the role's defaults with their `{{ }}` resolved and overrides on
top; only the Ansible filters our templates use are emulated (`comment`, `bool`, `to_json`).
tests/images/test_firstboot_config.py renders hub.toml under ansible-core and compares, so
a template that renders here renders on a host.
"""

from __future__ import annotations

import json
from typing import Any

import jinja2
import yaml

from tests.support.processes import ROOT

ROLES = ROOT / "provisioning" / "roles"


def _comment(text: str) -> str:
    return "#\n" + "\n".join(f"# {line}" if line else "#" for line in text.splitlines()) + "\n#"


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _to_json(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, **kwargs)


def role_vars(role: str, **overrides: Any) -> dict[str, Any]:
    """The role's defaults with overrides applied and `{{ }}` defaults resolved."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    values: dict[str, Any] = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    values |= {"playbook_dir": str(ROOT / "provisioning"), "ansible_managed": "Ansible managed",
               "inventory_hostname": "hq.test"}
    values |= overrides
    for _ in range(3):          # defaults that name other defaults (…_venv → …_install_dir)
        for key, value in list(values.items()):
            if isinstance(value, str) and "{{" in value:
                values[key] = env.from_string(value).render(values)
    return values


def render_role_template(role: str, template: str, **overrides: Any) -> str:
    """`roles/<role>/templates/<template>` with the role's defaults plus overrides."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLES / role / "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)
    env.filters["comment"] = _comment
    env.filters["bool"] = _bool
    env.filters["to_json"] = _to_json
    return env.get_template(template).render(role_vars(role, **overrides))
