"""Render the prometheus_agent role's templates the way Ansible would, for tests.

tests/support/role_templates.py does the rendering (Ansible's filters emulated there).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from tests.monitoring.fleet_queries import ROLE
from tests.support.role_templates import render_role_template
from tests.support.role_templates import role_vars as any_role_vars


def role_vars(**overrides: Any) -> dict[str, Any]:
    """The role's defaults with overrides applied and `{{ }}` defaults resolved."""
    return any_role_vars(ROLE.name, **{"inventory_hostname": "hub-test", **overrides})


def render(template: str, **overrides: Any) -> str:
    """One file of templates/, rendered with the role's defaults plus overrides."""
    return render_role_template(ROLE.name, template,
                                **{"inventory_hostname": "hub-test", **overrides})


def agent_argv(prometheus: str, **overrides: Any) -> list[str]:
    """The command line Debian's prometheus.service runs: /usr/bin/prometheus $ARGS."""
    text = render("prometheus.default.j2", **overrides)
    args = next(line for line in text.splitlines() if line.startswith("ARGS="))
    return [prometheus, *shlex.split(shlex.split(args)[0].removeprefix("ARGS="))]


def write_agent_files(workdir: Path, **overrides: Any) -> list[str]:
    """Config, credential and WAL dir for a real agent under workdir; returns its argv."""
    secrets = workdir / "secrets"
    secrets.mkdir(parents=True, exist_ok=True)
    paths = {"prometheus_agent_config_dir": str(workdir),
             "prometheus_agent_secrets_dir": str(secrets),
             "prometheus_agent_storage_path": str(workdir / "wal")}
    values = role_vars(**(paths | overrides))
    credential = (values["prometheus_agent_remote_write_bearer_token"]
                  or values["prometheus_agent_remote_write_password"])
    (secrets / "remote-write-credential").write_text(credential)
    (workdir / "prometheus.yml").write_text(render("prometheus.yml.j2", **(paths | overrides)))
    return agent_argv("/usr/bin/prometheus", **(paths | overrides))
