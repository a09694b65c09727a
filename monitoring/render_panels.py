#!/usr/bin/env python3
"""Draw the Grafana dashboards' panels from a live Prometheus into PNGs (Grafana is not
installable here, so this shows a reader what HQ sees, from the same dashboard JSON).

    python3 monitoring/render_panels.py --prometheus http://127.0.0.1:9090 \
        --outlet-id 1 --out docs/screenshots

Writes grafana-fleet.png (Fleet overview) and grafana-outlet.png (Outlet detail). Panels
are placed by their gridPos like Grafana does; stats show the last value, time series the
--window seconds before now, tables the instant values merged by outlet_id.
Needs matplotlib (monitoring/requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
DASHBOARDS = {"fleet-overview.json": "grafana-fleet.png",
              "outlet-detail.json": "grafana-outlet.png"}
# Grafana-like dark theme.
BACKGROUND, PANEL, TEXT, GRID = "#111217", "#181b1f", "#d8d9da", "#2c3235"
COLORS = {"green": "#56a64b", "red": "#e02f44", "orange": "#ff9830", "yellow": "#f2cc0c"}
ROW_INCHES, WIDTH_INCHES = 0.42, 20.0


class Prometheus:
    """The few HTTP API calls the renderer needs."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as resp:  # noqa: S310
            body = json.load(resp)
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body}")
        return body["data"]

    def instant(self, expr: str) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/query", query=expr)["result"])

    def range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/query_range", query=expr, start=f"{start:.3f}",
                              end=f"{end:.3f}", step=f"{step:g}")["result"])


def fill(expr: str, outlet_id: str, rate_interval: str) -> str:
    """Grafana's variables as a browser would fill them."""
    return expr.replace("$__rate_interval", rate_interval).replace("$outlet_id", outlet_id)


def legend(fmt: str, metric: dict[str, str]) -> str:
    """Grafana's legendFormat: {{label}} placeholders; __auto shows the label set."""
    if fmt in ("", "__auto"):
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
        return "{" + inner + "}" if inner else "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt)


def human(value: float, unit: str) -> str:
    """A value the way the panel's unit shows it."""
    if math.isnan(value):
        return "NaN"
    if unit == "s":
        if abs(value) >= 3600:
            return f"{value / 3600:.1f} h"
        if abs(value) >= 60:
            return f"{value / 60:.1f} min"
        if abs(value) >= 1 or value == 0:
            return f"{value:.2f} s"
        return f"{value * 1000:.2f} ms"
    if unit == "bytes":
        for suffix, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if abs(value) >= scale:
                return f"{value / scale:.1f} {suffix}"
        return f"{value:.0f} B"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def threshold_color(panel: dict[str, Any], value: float) -> str:
    color = "green"
    for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]:
        if step["value"] is None or value >= step["value"]:
            color = step["color"]
    return COLORS.get(color, color)


def _style(ax: Any, title: str) -> None:
    ax.set_facecolor(PANEL)
    ax.set_title(title, color=TEXT, fontsize=9, loc="left")
    for spine in ax.spines.values():
        spine.set_color(GRID)
    ax.tick_params(colors=TEXT, labelsize=7)


def draw_stat(ax: Any, panel: dict[str, Any], prom: Prometheus, var: dict[str, str]) -> None:
    _style(ax, panel["title"])
    ax.set_xticks([])
    ax.set_yticks([])
    target = panel["targets"][0]
    result = prom.instant(fill(target["expr"], **var))
    if not result:
        ax.text(0.5, 0.45, "No data", color=TEXT, ha="center", va="center", fontsize=14)
        return
    sample = result[0]
    value = float(sample["value"][1])
    unit = panel["fieldConfig"]["defaults"]["unit"]
    label = legend(target["legendFormat"], sample["metric"]) if target["legendFormat"] not in (
        "", "__auto") else human(value, unit)
    ax.set_facecolor(threshold_color(panel, value))
    ax.text(0.5, 0.42, label, color="white", ha="center", va="center", fontsize=20,
            fontweight="bold", transform=ax.transAxes)


def draw_timeseries(ax: Any, panel: dict[str, Any], prom: Prometheus, var: dict[str, str],
                    start: float, end: float, step: float) -> None:
    _style(ax, panel["title"])
    ax.grid(color=GRID, linewidth=0.5)
    unit = panel["fieldConfig"]["defaults"]["unit"]
    lines = 0
    for target in panel["targets"]:
        for series in prom.range(fill(target["expr"], **var), start, end, step):
            xs = [datetime.fromtimestamp(float(t), UTC) for t, _ in series["values"]]
            ys = [float(v) for _, v in series["values"]]
            last = next((y for y in reversed(ys) if not math.isnan(y)), math.nan)
            ax.plot(xs, ys, linewidth=1.3,
                    label=f"{legend(target['legendFormat'], series['metric'])}  "
                          f"({human(last, unit)})")
            lines += 1
    if not lines:
        ax.text(0.5, 0.5, "No data", color=TEXT, ha="center", va="center",
                transform=ax.transAxes)
        return
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: human(v, unit)))
    ax.legend(fontsize=6, loc="upper left", facecolor=PANEL, edgecolor=GRID, labelcolor=TEXT,
              ncol=2 if lines > 4 else 1)


def draw_table(ax: Any, panel: dict[str, Any], prom: Prometheus, var: dict[str, str]) -> None:
    _style(ax, panel["title"])
    ax.axis("off")
    organize = next(t for t in panel["transformations"] if t["id"] == "organize")["options"]
    names = organize.get("renameByName", {})
    rows: dict[str, dict[str, str]] = {}
    columns = ["outlet_id"]
    label_columns: list[str] = []
    for target in panel["targets"]:
        column = names.get(f"Value #{target['refId']}", target["refId"])
        hidden = organize["excludeByName"].get(column, False)
        for sample in prom.instant(fill(target["expr"], **var)):
            row = rows.setdefault(sample["metric"].get("outlet_id", "?"), {})
            if "outlet_name" in sample["metric"]:
                row["outlet_name"] = sample["metric"]["outlet_name"]
            # Tables of label values (Releases by outlet: version, state) show the labels.
            for key, text in sample["metric"].items():
                if key not in ("__name__", "outlet_id", "outlet_name", "job", "instance"):
                    row[key] = text
                    if key not in label_columns:
                        label_columns.append(key)
            if not hidden:
                value = float(sample["value"][1])
                if column == "Hub up":
                    row[column] = "up" if value == 1 else "DOWN"
                elif column == "Oldest unsynced":
                    row[column] = human(value, "s")
                else:
                    row[column] = f"{value:.1f}" if column == "Orders/min" else human(value, "")
        if not hidden:
            columns.append(column)
    columns[1:1] = label_columns or ["outlet_name"]
    ordered = sorted(rows, key=lambda k: (len(k), k))
    cells = [[rows[k].get(c, k if c == "outlet_id" else "-") for c in columns] for k in ordered]
    if not cells:
        ax.text(0.5, 0.5, "No data", color=TEXT, ha="center", transform=ax.transAxes)
        return
    table = ax.table(cellText=cells, colLabels=columns, loc="upper center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.4)
    for (row, col), cell in table.get_celld().items():
        cell.set_edgecolor(GRID)
        cell.set_facecolor(PANEL if row else "#22252b")
        cell.get_text().set_color(TEXT)
        state = cell.get_text().get_text()
        if row and columns[col] == "Hub up" and state in ("up", "DOWN"):
            cell.set_facecolor(COLORS["green"] if state == "up" else COLORS["red"])


def render_dashboard(board: dict[str, Any], prom: Prometheus, out: Path, outlet_id: str,
                     rate_interval: str, window: float) -> None:
    """One PNG laid out by the panels' gridPos."""
    var = {"outlet_id": outlet_id, "rate_interval": rate_interval}
    end = time.time()
    start, step = end - window, max(1.0, window / 240)
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in board["panels"])
    height = rows * ROW_INCHES + 0.8
    fig = plt.figure(figsize=(WIDTH_INCHES, height), facecolor=BACKGROUND)
    title = board["title"] + (f" — outlet {outlet_id}" if board["templating"]["list"] else "")
    fig.suptitle(f"{title}   (rendered from Prometheus at "
                 f"{datetime.fromtimestamp(end, UTC):%Y-%m-%d %H:%M:%S} UTC)",
                 color=TEXT, fontsize=12, x=0.01, ha="left")
    top = 0.6 / height
    for panel in board["panels"]:
        pos = panel["gridPos"]
        pad_x, pad_y = 0.004, 0.012 * 24 / rows
        # Time series need room on their left for the value axis labels.
        label_room = 0.035 if panel["type"] == "timeseries" else 0.0
        left = pos["x"] / 24 + pad_x + label_room
        width = pos["w"] / 24 - 2 * pad_x - label_room
        bottom = 1 - top - (pos["y"] + pos["h"]) / rows * (1 - top) + pad_y
        h = pos["h"] / rows * (1 - top) - 2 * pad_y - 0.02 * 24 / rows
        ax = fig.add_axes((left, bottom, width, h))
        if panel["type"] == "stat":
            draw_stat(ax, panel, prom, var)
        elif panel["type"] == "timeseries":
            draw_timeseries(ax, panel, prom, var, start, end, step)
        else:
            draw_table(ax, panel, prom, var)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80, facecolor=BACKGROUND)
    plt.close(fig)


def render_all(prometheus: str, out_dir: Path, outlet_id: str, rate_interval: str = "1m",
               window: float = 300.0) -> list[Path]:
    """Render both dashboards; returns the PNG paths."""
    prom = Prometheus(prometheus)
    written = []
    for name, png in DASHBOARDS.items():
        board = json.loads((HERE / "grafana" / "dashboards" / name).read_text())
        path = out_dir / png
        render_dashboard(board, prom, path, outlet_id, rate_interval, window)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090")
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "screenshots")
    parser.add_argument("--outlet-id", default="1")
    parser.add_argument("--rate-interval", default="1m")
    parser.add_argument("--window", type=float, default=300.0, help="seconds of history")
    args = parser.parse_args()
    for path in render_all(args.prometheus, args.out, args.outlet_id, args.rate_interval,
                           args.window):
        print(path)


if __name__ == "__main__":
    main()
