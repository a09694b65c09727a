"""Static checks of monitoring/: promtool, amtool, rule unit tests, naming conventions."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.monitoring.fleet_queries import (
    MONITORING,
    PROMETHEUS_DIR,
    RULE_FILES,
    RULE_TESTS,
    alert_rules,
    contract_names,
    exposition_base,
    names_in_monitoring,
    tool,
)

REQUIRED_ALERTS = {"HubDown", "HubNotSyncing", "NoKitchenDisplayConnected", "MqttBrokerDown",
                   "MenuVersionBehind", "OrderFanoutSlow", "HubDiskAlmostFull", "HubClockSkew",
                   "OutletWithoutHub"}
ALERTMANAGER = MONITORING / "alertmanager" / "alertmanager.yml"


# A guard against a hung tool, not a speed check: promtool's rule tests are CPU-bound and took
# 60 s, then over 120 s, in two fresh-clone runs of the same tree on this shared 2-core VM.
TOOL_TIMEOUT_S = 600


def run(*argv: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    assert proc.returncode == 0, f"{' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_hq_prometheus_config_passes_promtool_check_config(tmp_path: Path) -> None:
    """promtool insists the secrets exist: the config is checked with them placed in tmp_path."""
    text = (PROMETHEUS_DIR / "prometheus.yml").read_text()
    secrets = sorted(set(re.findall(r"/etc/prometheus/secrets/[\w.-]+", text)))
    assert "/etc/prometheus/secrets/central-metrics-token" in secrets
    for path in secrets:
        local = tmp_path / Path(path).name
        local.write_text("token-for-promtool\n")
        text = text.replace(path, str(local))
    text = text.replace("  - rules/", f"  - {PROMETHEUS_DIR}/rules/")
    config = tmp_path / "prometheus.yml"
    config.write_text(text)
    out = run(tool("promtool"), "check", "config", str(config))
    assert f"{len(RULE_FILES)} rule files found" in out


def test_rule_files_pass_promtool_check_rules_with_lint() -> None:
    run(tool("promtool"), "check", "rules", "--lint=all", "--lint-fatal",
        *map(str, RULE_FILES))


def test_rule_unit_tests_pass() -> None:
    out = run(tool("promtool"), "test", "rules", *map(str, RULE_TESTS))
    assert out.count("SUCCESS") == len(RULE_TESTS)


def test_every_required_alert_exists() -> None:
    assert REQUIRED_ALERTS <= {r["alert"] for r in alert_rules()}


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_follows_naming_and_annotation_conventions(rule: dict) -> None:
    assert re.fullmatch(r"(?:[A-Z][a-z0-9]+)+", rule["alert"]), "alerts are CamelCase"
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"].strip()
    assert rule["annotations"]["description"].strip()
    assert "for" in rule, "every alert waits before firing: no page for a blip"


def test_every_alert_has_a_firing_and_a_quiet_unit_test_case() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = {r["alert"] for r in alert_rules()}
    assert alerts - firing == set(), "alerts never shown firing"
    assert alerts - quiet == set(), "alerts never shown staying quiet"


def test_rules_and_dashboards_use_only_names_from_the_metrics_contract() -> None:
    contract = contract_names()
    unknown = {n: sorted(users) for n, users in names_in_monitoring().items()
               if not exposition_base(n) & contract}
    assert unknown == {}, "names missing from docs/metrics.md"


def test_alertmanager_config_passes_amtool_check_config() -> None:
    out = run(tool("amtool"), "check-config", str(ALERTMANAGER))
    assert "SUCCESS" in out


@pytest.mark.parametrize(("labels", "receivers"), [
    (["alertname=NoKitchenDisplayConnected", "severity=critical", "outlet_id=1"],
     "oncall-pager"),
    (["alertname=HubNotSyncing", "severity=warning", "outlet_id=1"], "ops-chat"),
    (["alertname=OutletWithoutHub", "severity=info", "outlet_id=3"], "fleet-tickets"),
    # HubDown pages in trading hours and goes to chat outside them: both routes match.
    (["alertname=HubDown", "severity=critical", "outlet_id=1"], "ops-chat,oncall-pager"),
])
def test_alertmanager_routes_each_severity_to_its_receiver(labels: list[str],
                                                           receivers: str) -> None:
    out = run(tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER}",
              *labels)
    assert out.splitlines()[0].strip() == receivers


def test_alertmanager_trading_hours_match_the_recording_rule() -> None:
    config = yaml.safe_load(ALERTMANAGER.read_text())
    intervals = {i["name"]: i["time_intervals"] for i in config["time_intervals"]}
    hours = {tuple(t["weekdays"]): (t["times"][0]["start_time"], t["times"][0]["end_time"],
                                    t["location"]) for t in intervals["trading-hours"]}
    assert hours == {("monday:friday",): ("10:00", "22:00", "UTC"),
                     ("saturday", "sunday"): ("09:00", "23:00", "UTC")}
    recording = (PROMETHEUS_DIR / "rules" / "recording.yml").read_text()
    assert "vector(time() + 0 * 3600)" in recording, "UTC offset 0 on both sides"
    assert ">= 1 <= 5" in recording and ">= 10 < 22" in recording and ">= 9 < 23" in recording
