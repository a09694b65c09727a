"""Dashboards as code regenerate byte for byte; the agent role renders a valid agent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.monitoring.agent_role import render, role_vars, write_agent_files
from tests.monitoring.fleet_queries import (
    DASHBOARD_DIR,
    MONITORING,
    ROLE,
    load_dashboards,
    metric_names,
    panel_queries,
    tool,
)

GENERATOR = MONITORING / "grafana" / "generate.py"


def test_committed_dashboards_match_a_fresh_generator_run_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=60)
    fresh = sorted(p.name for p in tmp_path.glob("*.json"))
    assert fresh == sorted(p.name for p in DASHBOARD_DIR.glob("*.json"))
    for name in fresh:
        assert (tmp_path / name).read_bytes() == (DASHBOARD_DIR / name).read_bytes(), (
            f"{name} is stale: run `make monitoring-dashboards` and commit")


def test_generator_builds_with_grafanas_foundation_sdk_and_the_standard_library() -> None:
    imports = [line for line in GENERATOR.read_text().splitlines()
               if line.startswith(("import ", "from "))]
    assert any(line.startswith("from grafana_foundation_sdk.builders") for line in imports)
    allowed = {"__future__", "argparse", "json", "dataclasses", "pathlib", "typing",
               "grafana_foundation_sdk"}
    assert {line.split()[1].split(".")[0] for line in imports} <= allowed


def test_the_two_dashboards_exist_with_unique_panel_ids_inside_the_grid() -> None:
    boards = load_dashboards()
    assert {b["title"] for b in boards.values()} == {"Outlet Hub / Fleet overview",
                                                      "Outlet Hub / Outlet detail"}
    for board in boards.values():
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24
            assert panel["targets"], panel["title"]


def test_every_dashboard_uses_the_provisioned_datasource_uid() -> None:
    datasource = yaml.safe_load(
        (MONITORING / "grafana/provisioning/datasources/outlet-hub.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    for board in load_dashboards().values():
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == uid
            assert {t["datasource"]["uid"] for t in panel["targets"]} == {uid}


def test_outlet_detail_panels_filter_on_the_outlet_variable() -> None:
    for query in panel_queries():
        if query.dashboard == "outlet-detail.json":
            assert 'outlet_id="$outlet_id"' in query.expr, query


def test_metric_name_lexer_ignores_functions_labels_and_keywords() -> None:
    expr = ('histogram_quantile(0.99, sum by (le, route) (rate(a_seconds_bucket{x="y"}[5m])))'
            ' > on () group_left () max(b_total) and on (outlet_id) fleet:trading_hours')
    assert metric_names(expr) == {"a_seconds_bucket", "b_total", "fleet:trading_hours"}


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_agent_template_renders_a_config_promtool_accepts_in_agent_mode(
        tmp_path: Path, auth: str) -> None:
    creds = ({"prometheus_agent_remote_write_bearer_token": "t0ken"} if auth == "bearer" else
             {"prometheus_agent_remote_write_username": "hub-7",
              "prometheus_agent_remote_write_password": "s3cret"})
    argv = write_agent_files(tmp_path, prometheus_agent_outlet_id="7",
                             prometheus_agent_remote_write_url="https://hq.example/api/v1/write",
                             prometheus_agent_mosquitto_exporter_target="127.0.0.1:9234",
                             **creds)
    config_text = (tmp_path / "prometheus.yml").read_text()
    assert config_text.startswith("#\n# Ansible managed\n#\n")
    assert "t0ken" not in config_text and "s3cret" not in config_text, "secrets stay in files"
    proc = subprocess.run([tool("promtool"), "check", "config", "--agent",
                           str(tmp_path / "prometheus.yml")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = yaml.safe_load(config_text)
    assert config["global"]["external_labels"] == {"outlet_id": "7", "hub_id": "hub-test"}
    assert [j["job_name"] for j in config["scrape_configs"]] == ["outlet-hub", "node",
                                                                 "mosquitto"]
    write = config["remote_write"][0]
    assert ("authorization" in write) == (auth == "bearer")
    assert ("basic_auth" in write) == (auth == "basic")
    assert "--enable-feature=agent" in argv
    assert f"--storage.agent.path={tmp_path / 'wal'}" in argv
    assert "--storage.agent.retention.max-time=72h" in argv


def test_agent_templates_carry_the_ansible_managed_header() -> None:
    for template in sorted((ROLE / "templates").glob("*.j2")):
        assert template.read_text().startswith("{{ ansible_managed | comment }}\n"), template
        render(template.name, prometheus_agent_outlet_id="1",
               prometheus_agent_remote_write_url="https://hq.example/api/v1/write",
               prometheus_agent_remote_write_bearer_token="x")


def test_agent_argument_specs_document_every_default_and_nothing_else() -> None:
    specs = yaml.safe_load((ROLE / "meta/argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    defaults = set(yaml.safe_load((ROLE / "defaults/main.yml").read_text()))
    assert set(options) == defaults
    for name, spec in options.items():
        assert spec.get("description"), name
        assert spec.get("required") or "default" in spec, name
    assert role_vars()["prometheus_agent_hub_id"] == "hub-test"
