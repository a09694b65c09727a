"""`[[printers]]` tables of hub.toml, checked once at start; errors name the key (`printers[1].url`).

Kept apart from `hub.config` so the printer rules can grow without growing the loader;
`hub.config` calls `parse_printers` and turns `PrinterConfigError` into its `ConfigError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

KINDS = ("kitchen", "ready", "cancelled")
# A printer's name becomes the cursor key `printer:<name>` (cursors.sink is 32 characters)
# and a Prometheus label value, so it stays short and plain.
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,23}$")
_STATION_RE = re.compile(r"^[^\x00-\x1f]{1,50}$")
_DAY_START_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_KEYS = frozenset({"name", "url", "width_mm", "tenants", "stations", "prints", "backup",
                   "backup_after_seconds", "hold_after_minutes", "status_query"})


class PrinterConfigError(ValueError):
    """One printer setting is wrong; the message starts with the key."""


@dataclass(frozen=True)
class PrinterConfig:
    """One ticket printer and what it prints."""

    name: str
    url: str                               # tcp://host:9100 or usb:///dev/usb/lp0
    width_mm: int = 80
    tenants: frozenset[int] = frozenset()  # empty: every stall
    stations: frozenset[str] = frozenset()  # empty: every station
    prints: frozenset[str] = frozenset({"kitchen"})
    backup: str = ""                       # another printer's name
    backup_after_seconds: float = 120.0
    hold_after_minutes: float = 30.0
    # Most network ESC/POS printers answer DLE EOT; one that does not must say so, or a
    # silent printer could not be told from a dead one.
    status_query: bool = True

    @property
    def sink(self) -> str:
        """Cursor key of this printer's place in the change feed."""
        return f"printer:{self.name}"

    @property
    def columns(self) -> int:
        """Characters per line in font A: 32 on 58 mm paper, 48 on 80 mm."""
        return 32 if self.width_mm == 58 else 48

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "width_mm": self.width_mm,
                "tenants": sorted(self.tenants), "stations": sorted(self.stations),
                "prints": sorted(self.prints), "backup": self.backup or None,
                "backup_after_seconds": self.backup_after_seconds,
                "hold_after_minutes": self.hold_after_minutes}


def _fail(key: str, message: str) -> PrinterConfigError:
    return PrinterConfigError(f"{key}: {message}")


def _url(key: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise _fail(key, "expected tcp://host:9100 or usb:///dev/usb/lp0")
    parts = urlsplit(value)
    if parts.scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise _fail(key, f"expected tcp://host:port, got {value!r}")
        return value
    if parts.scheme == "usb" and parts.path.startswith("/dev/") and not parts.netloc:
        return value
    raise _fail(key, f"expected tcp://host:9100 or usb:///dev/usb/lp0, got {value!r}")


def _number(key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _fail(key, f"must be a number from {low:g} to {high:g}")
    return float(value)


def parse_printer(raw: Any, where: str = "printer") -> PrinterConfig:
    """One printer table; errors start with `<where>.<key>:` (central's API uses it too)."""
    return _one(0, raw, where)


def _one(index: int, raw: Any, where: str = "") -> PrinterConfig:
    where = where or f"printers[{index}]"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", "unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _fail(f"{where}.name", "1-24 of a-z 0-9 _ - (starting with a letter or digit)")
    url = _url(f"{where}.url", raw.get("url"))
    width = raw.get("width_mm", 80)
    if width not in (58, 80) or isinstance(width, bool):
        raise _fail(f"{where}.width_mm", "58 or 80")
    tenants = raw.get("tenants", [])
    if not isinstance(tenants, list) or len(tenants) > 100 or not all(
            isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in tenants):
        raise _fail(f"{where}.tenants", "a list of tenant ids (positive integers)")
    stations = raw.get("stations", [])
    if not isinstance(stations, list) or len(stations) > 50 or not all(
            isinstance(s, str) and _STATION_RE.match(s) for s in stations):
        raise _fail(f"{where}.stations", "a list of station names (1-50 characters)")
    prints = raw.get("prints", ["kitchen"])
    if not isinstance(prints, list) or not prints or not all(p in KINDS for p in prints):
        raise _fail(f"{where}.prints", f"a non-empty list of {', '.join(KINDS)}")
    backup = raw.get("backup", "")
    if not isinstance(backup, str) or (backup and not _NAME_RE.match(backup)):
        raise _fail(f"{where}.backup", "the name of another printer")
    status_query = raw.get("status_query", True)
    if not isinstance(status_query, bool):
        raise _fail(f"{where}.status_query", "true or false")
    return PrinterConfig(
        name=name, url=url, width_mm=int(width), tenants=frozenset(tenants),
        stations=frozenset(stations), prints=frozenset(prints), backup=backup,
        backup_after_seconds=_number(f"{where}.backup_after_seconds",
                                     raw.get("backup_after_seconds", 120), 0, 86400),
        hold_after_minutes=_number(f"{where}.hold_after_minutes",
                                   raw.get("hold_after_minutes", 30), 1, 24 * 60),
        status_query=status_query)


def parse_printers(raw: Any) -> tuple[PrinterConfig, ...]:
    """The `[[printers]]` array (or its JSON text, from HUB_PRINTERS) → checked printers."""
    if isinstance(raw, tuple) and all(isinstance(p, PrinterConfig) for p in raw):
        return raw
    if not isinstance(raw, list) or len(raw) > 32:
        raise _fail("printers", "an array of at most 32 [[printers]] tables")
    printers = tuple(_one(i, p) for i, p in enumerate(raw))
    names = [p.name for p in printers]
    for i, p in enumerate(printers):
        if names.index(p.name) != i:
            raise _fail(f"printers[{i}].name", f"{p.name!r} is used twice")
        if p.backup and (p.backup == p.name or p.backup not in names):
            raise _fail(f"printers[{i}].backup", f"{p.backup!r} is not another configured printer")
    return printers


def check_day_start(value: str) -> str:
    """`day_starts_at` as HH:MM (local time), when yesterday's tickets stop being today's."""
    if not _DAY_START_RE.match(value):
        raise _fail("day_starts_at", f"expected HH:MM (24 h), got {value!r}")
    return value


def merge_printers(local: tuple[PrinterConfig, ...], central_rows: list[dict[str, Any]],
                   outlet_id: int) -> tuple[tuple[PrinterConfig, ...], list[str]]:
    """hub.toml printers plus central's for this outlet (hub.toml wins a name); and problems.

    A central row the hub's rules refuse, or a backup naming no printer, is reported and
    left out (the backup dropped), never allowed to stop the printers that are fine.
    """
    problems: list[str] = []
    merged = {p.name: p for p in local}
    for row in sorted(central_rows, key=lambda r: str(r.get("name"))):
        if row.get("outlet_id") != outlet_id or row.get("name") in merged:
            continue
        body = {k: v for k, v in row.items() if k in _KEYS and v is not None}
        try:
            printer = parse_printer(body, f"central printer {row.get('id')}")
        except PrinterConfigError as exc:
            problems.append(str(exc))
            continue
        merged[printer.name] = printer
    out = []
    for p in merged.values():
        if p.backup and (p.backup not in merged or p.backup == p.name):
            problems.append(f"printer {p.name}: backup {p.backup!r} is not a printer here; ignored")
            p = replace(p, backup="")
        out.append(p)
    return tuple(out), problems
