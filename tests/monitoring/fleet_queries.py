"""What monitoring/ asks of Prometheus: the rules, the dashboards' queries, the names in them.

Shared by the static checks and the live test, so both read the same files the same way.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
DASHBOARD_DIR = MONITORING / "grafana" / "dashboards"
METRICS_DOC = ROOT / "docs" / "metrics.md"
ROLE = ROOT / "provisioning" / "roles" / "prometheus_agent"

# Series Prometheus makes itself rather than reading them from a target's /metrics.
SYNTHETIC = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})
_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "and",
                       "or", "unless", "bool", "offset", "inf", "nan"})
# Suffixes a histogram or counter adds in the exposition format.
_SERIES_SUFFIXES = ("_bucket", "_count", "_sum")


def tool(name: str) -> str:
    """Absolute path of a required command-line tool; a missing tool fails, never skips."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists()
                                   else None)
    assert path, f"{name} is not installed: `make deps` installs it (mk/monitoring.mk)"
    return path


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (no parser in Prometheus 2.42's API, so: lexing)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


@dataclass(frozen=True)
class PanelQuery:
    """One target of one dashboard panel."""

    dashboard: str
    panel: str
    expr: str

    def promql(self, outlet_id: str, rate_interval: str = "1m") -> str:
        """The query with Grafana's variables filled in as a browser would."""
        return (self.expr.replace("$__rate_interval", rate_interval)
                .replace("$outlet_id", outlet_id))


def load_rules() -> list[dict[str, Any]]:
    """Every rule (alerting and recording) of every rule file."""
    rules: list[dict[str, Any]] = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(group["rules"])
    return rules


def alert_rules() -> list[dict[str, Any]]:
    return [r for r in load_rules() if "alert" in r]


def recorded_names() -> set[str]:
    return {r["record"] for r in load_rules() if "record" in r}


def load_dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def panel_queries() -> list[PanelQuery]:
    """Every target of every panel of every committed dashboard."""
    out = []
    for name, board in load_dashboards().items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                out.append(PanelQuery(name, panel["title"], target["expr"]))
    return out


def variable_queries() -> list[str]:
    """Template variable queries, reduced to the metric they read (label_values(m, l))."""
    out = []
    for board in load_dashboards().values():
        for var in board["templating"]["list"]:
            m = re.match(r"label_values\(([^,]+),", var["query"]["query"])
            assert m, var
            out.append(m.group(1).strip())
    return out


def names_in_monitoring() -> dict[str, set[str]]:
    """Raw metric names (not recorded, not synthetic) used anywhere, mapped to their users."""
    users: dict[str, set[str]] = {}
    recorded = recorded_names()
    exprs = [(f"rule {r.get('alert') or r.get('record')}", r["expr"]) for r in load_rules()]
    exprs += [(f"panel {q.dashboard}:{q.panel}", q.expr) for q in panel_queries()]
    exprs += [("dashboard variable", v) for v in variable_queries()]
    for user, expr in exprs:
        for name in metric_names(expr):
            if name in recorded or name in SYNTHETIC:
                continue
            users.setdefault(name, set()).add(user)
    return users


def contract_names() -> set[str]:
    """Names listed in docs/metrics.md (the first column of its tables)."""
    return set(re.findall(r"^\| `(outlet_[a-z_]+)`", METRICS_DOC.read_text(), re.MULTILINE))


def exposition_base(name: str) -> set[str]:
    """Names under which `name` may appear in docs/metrics.md (histograms by base name)."""
    bases = {name}
    for suffix in _SERIES_SUFFIXES:
        if name.endswith(suffix):
            bases.add(name[: -len(suffix)])
    return bases


def exposed_names(text: str) -> set[str]:
    """Sample names in a Prometheus text exposition."""
    names = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names
