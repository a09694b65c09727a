"""Render the prometheus_agent role's templates the way Ansible would, for tests.

Only the two Ansible filters the templates use are emulated (`comment`, `bool`); everything
else is plain Jinja2, so a template that renders here renders under ansible-core.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import jinja2
import yaml

from tests.monitoring.fleet_queries import ROLE


def _comment(text: str) -> str:
    return "#\n" + "\n".join(f"# {line}" if line else "#" for line in text.splitlines()) + "\n#"


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def role_vars(**overrides: Any) -> dict[str, Any]:
    """The role's defaults with overrides applied and `{{ }}` defaults resolved once."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    values: dict[str, Any] = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    values |= {"inventory_hostname": "hub-test", "ansible_managed": "Ansible managed"}
    values |= overrides
    for key, value in list(values.items()):
        if isinstance(value, str) and "{{" in value:
            values[key] = env.from_string(value).render(values)
    return values


def render(template: str, **overrides: Any) -> str:
    """One file of templates/, rendered with the role's defaults plus overrides."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLE / "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)  # Ansible's template module default
    env.filters["comment"] = _comment
    env.filters["bool"] = _bool
    return env.get_template(template).render(role_vars(**overrides))


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
