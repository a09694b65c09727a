"""One loader, one precedence for the hub's configuration: TOML file < environment < CLI flags.

IT writes `outlet.toml`/`hub.toml` once; systemd or a shell may override with environment
variables; a flag wins over both. Every value is checked here so a bad config fails at
start with a message that names the key, not deep inside a handler at lunch time.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hub.core.pins import hash_pin, is_pin_hash
from hub.core.updates import Window
from hub.printing.config import (
    PrinterConfig,
    PrinterConfigError,
    check_day_start,
    parse_printers,
)
from outlet_protocol.locales import (
    DEFAULT_CURRENCY,
    DEFAULT_LOCALE,
    normalize_currency,
    normalize_locale,
)

# Loopback, RFC 1918, link-local and IPv6 ULA: the networks an outlet LAN can be on.
DEFAULT_ALLOWED_NETWORKS = (
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
    "169.254.0.0/16", "fe80::/10", "fc00::/7",
)

DEFAULT_RATE_LIMIT_EXEMPT = ("127.0.0.0/8", "::1/128")
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")

# Environment names that do not follow the HUB_<KEY> pattern, kept from the seed server.
_ENV_ALIASES = {"ws_port": "WS_PORT", "http_port": "HTTP_PORT", "hub_id": "HUB_ID"}


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class HubConfig:
    """Everything the hub needs to know at start; immutable once loaded."""

    outlet_id: int = 1
    hub_id: str = ""
    outlet_name: str = ""
    data_dir: Path = Path("var/hub")
    bind: str = "0.0.0.0"
    ws_port: int = 3001
    http_port: int = 3002
    # HTTPS for the apps, API and wss:// once central issued a LAN certificate (decision
    # 1001); `tls_enabled` off keeps the hub plain-HTTP only (no key, no CSR).
    https_port: int = 3443
    tls_enabled: bool = True
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_username: str = ""
    mqtt_password: str = field(default="", repr=False)
    central_url: str = ""
    enrollment_token: str = field(default="", repr=False)
    websocket_url: str = ""
    zeroconf: bool = True
    allowed_networks: tuple[str, ...] = DEFAULT_ALLOWED_NETWORKS
    allowed_origins: tuple[str, ...] = ()
    # Names (no port) a browser may use to reach the hub, besides its own: localhost, its
    # host name and <hostname>.local, <hub_id>.local. Address literals always pass (see
    # hub/security.py and decision 0620: a rebinding attack always arrives under a name).
    allowed_hosts: tuple[str, ...] = ()
    # Sources that skip flood limits: loopback, i.e. processes on the hub itself and the
    # bench. "none" limits everyone (put it there when a proxy on the hub forwards clients).
    rate_limit_exempt: tuple[str, ...] = DEFAULT_RATE_LIMIT_EXEMPT
    client_token: str = field(default="", repr=False)
    # `off`: any allowed LAN client reads and writes (demo, standalone); `required`: every
    # socket and order call needs a paired device token (docs/protocol.md §7).
    pairing: str = "off"
    # Held only as a salted scrypt hash once loaded (validate() hashes a clear PIN).
    manager_pin: str = field(default="", repr=False)
    retention_days: int = 30
    heartbeat_seconds: float = 15.0
    # The longest one call to central may take (connect + answer); a hanging central is
    # then just an unreachable one. 15 s fits a menu page of 5,000 products on a slow line.
    central_timeout_seconds: float = 15.0
    # HQ's CA certificate (PEM): when set, every call to central trusts only it (the
    # reverse_proxy role's self-signed certificate, or the operator's CA), not the system store.
    central_ca_file: str = ""
    log_level: str = "info"
    ui_dir: str = ""
    # A sentence for IT shown on the status page, /health and /api/outlet — e.g. the image's
    # first boot saying why this hub runs standalone ("outlet.toml missing on HUBBOOT").
    notice: str = ""
    # Kitchen printers (`[[printers]]`, hub/printing/config.py) and the outlet's day:
    # tickets from before `day_starts_at` (local time) are yesterday's and never print
    # by themselves. `locale` and `currency` are the outlet's on a standalone hub (the apps'
    # language and money, the tickets' words); an enrolled hub follows central's outlet
    # (decision 0901). Old bare values ("id", "en") still load, as id-ID and en-US.
    printers: tuple[PrinterConfig, ...] = ()
    day_starts_at: str = "04:00"
    locale: str = DEFAULT_LOCALE
    currency: str = DEFAULT_CURRENCY
    # Fleet updates (decision 1101). `update_root` holds releases/<version>, the `current`
    # and `previous` symlinks and update.json (/opt/outlet-hub in the image); empty turns
    # updates off (a hub run from a checkout). `release_public_key` is base64 of the Ed25519
    # key releases are signed with, set by provisioning; without it nothing is installed.
    update_root: str = ""
    update_window: str = "02:00-05:00"
    release_public_key: str = ""
    # How often the updater looks at window, kitchens and downloads; tests set 0.2.
    update_tick_seconds: float = 20.0

    @property
    def mqtt_enabled(self) -> bool:
        return self.mqtt_url.lower() not in ("", "none", "off", "disabled")

    @property
    def pairing_required(self) -> bool:
        return self.pairing == "required"

    @property
    def central_enabled(self) -> bool:
        return bool(self.central_url)

    @property
    def effective_hub_id(self) -> str:
        """`hub_id`, or the one generated at first start (`with_persistent_hub_id`)."""
        return self.hub_id or read_stored_hub_id(self.data_dir) or "(generated at first start)"

    @cached_property
    def parsed_rate_limit_exempt(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                                ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.rate_limit_exempt
                     if n.lower() != "none")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "hub.sqlite3"

    @cached_property
    def parsed_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """Parsed once: the allowlist is checked on every request (10 % of a poll's CPU)."""
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.allowed_networks)

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return list(self.parsed_networks)


_FIELD_TYPES = {f.name: f.type for f in fields(HubConfig)}


def _coerce(key: str, raw: Any) -> Any:
    kind = _FIELD_TYPES[key]
    try:
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "Path":
            return Path(str(raw))
        if kind == "tuple[str, ...]":
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
        if kind == "tuple[PrinterConfig, ...]":
            return parse_printers(json.loads(raw) if isinstance(raw, str) else raw)
        if kind == "str":
            if isinstance(raw, dict | list):
                raise ValueError
            return str(raw)
    except PrinterConfigError as exc:
        raise ConfigError(str(exc)) from None
    except ValueError:
        raise ConfigError(f"{key}: cannot read {raw!r} as {kind}") from None
    raise ConfigError(f"{key}: unsupported type {kind}")  # pragma: no cover - all fields covered


def env_name(key: str) -> str:
    """The environment variable that sets `key`."""
    return _ENV_ALIASES.get(key, "HUB_" + key.upper())


def from_file(path: Path) -> dict[str, Any]:
    """Read a TOML file; keys may sit at top level or under a `[hub]` table."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = data.get("hub", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [hub] must be a table")
    if table is not data and "printers" in data:
        table = table | {"printers": data["printers"]}   # [[printers]] beside [hub]
    unknown = sorted(k for k in table if k not in _FIELD_TYPES and k != "hub")
    if unknown:
        raise ConfigError(f"{path}: unknown key(s): {', '.join(unknown)}")
    return {k: v for k, v in table.items() if k in _FIELD_TYPES}


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Values set in the environment (HUB_OUTLET_ID, WS_PORT, …)."""
    out: dict[str, Any] = {}
    for key in _FIELD_TYPES:
        name = env_name(key)
        if name in environ and environ[name] != "":
            out[key] = environ[name]
    return out


def load(path: str | Path | None = None, environ: Mapping[str, str] | None = None,
         overrides: Mapping[str, Any] | None = None) -> HubConfig:
    """Build the config: file (`path` or HUB_CONFIG) < environment < overrides (CLI flags)."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    file_path = path or env.get("HUB_CONFIG")
    if file_path:
        raw |= from_file(Path(file_path))
    raw |= from_env(env)
    raw |= {k: v for k, v in (overrides or {}).items() if v is not None}
    values = {k: _coerce(k, v) for k, v in raw.items()}
    return validate(replace(HubConfig(), **values))


def validate(cfg: HubConfig) -> HubConfig:
    """Check ranges and formats; raise ConfigError naming the first bad key."""
    if cfg.outlet_id < 1:
        raise ConfigError("outlet_id: must be a positive integer")
    for key in ("ws_port", "http_port", "https_port"):
        port = getattr(cfg, key)
        if not 0 <= port <= 65535:
            raise ConfigError(f"{key}: {port} is not a TCP port")
    if cfg.ws_port == cfg.http_port and cfg.ws_port != 0:
        raise ConfigError("http_port: must differ from ws_port")
    if cfg.https_port in (cfg.ws_port, cfg.http_port) and cfg.https_port != 0:
        raise ConfigError("https_port: must differ from ws_port and http_port")
    if cfg.mqtt_enabled:
        parts = urlsplit(cfg.mqtt_url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ConfigError(f"mqtt_url: expected mqtt://host:port or 'none', got {cfg.mqtt_url!r}")
    for key in ("central_url", "websocket_url"):
        value = getattr(cfg, key)
        if value:
            parts = urlsplit(value)
            allowed = ("http", "https") if key == "central_url" else ("ws", "wss")
            if parts.scheme not in allowed or not parts.hostname:
                raise ConfigError(f"{key}: expected {'/'.join(allowed)}://host…, got {value!r}")
    for net in cfg.allowed_networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ConfigError(f"allowed_networks: {net!r} is not a network (CIDR)") from None
    for net in cfg.rate_limit_exempt:
        try:
            if net.lower() != "none":
                ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ConfigError(f"rate_limit_exempt: {net!r} is not a network (CIDR) or none") \
                from None
    for host in cfg.allowed_hosts:
        if not _HOST_RE.match(host):
            raise ConfigError(f"allowed_hosts: {host!r} is not a host name (no scheme, no port)")
    for origin in cfg.allowed_origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"allowed_origins: {origin!r} is not an origin like http://host:port")
    if cfg.retention_days < 1:
        raise ConfigError("retention_days: keep orders at least 1 day")
    if cfg.heartbeat_seconds <= 0:
        raise ConfigError("heartbeat_seconds: must be positive")
    if not 0.1 <= cfg.central_timeout_seconds <= 600:
        raise ConfigError("central_timeout_seconds: between 0.1 and 600")
    if cfg.central_ca_file:
        if not cfg.central_url.startswith("https://"):
            raise ConfigError("central_ca_file: only with an https:// central_url")
        if not Path(cfg.central_ca_file).is_file():
            raise ConfigError(f"central_ca_file: {cfg.central_ca_file} is not a file")
    if len(cfg.notice) > 500:
        raise ConfigError("notice: at most 500 characters")
    if cfg.log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError("log_level: one of debug, info, warning, error")
    if cfg.pairing not in ("off", "required"):
        raise ConfigError(f"pairing: one of off, required, got {cfg.pairing!r}")
    if cfg.manager_pin and not is_pin_hash(cfg.manager_pin):
        pin = cfg.manager_pin.strip()
        if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
            raise ConfigError("manager_pin: 4 to 12 digits")
        cfg = replace(cfg, manager_pin=hash_pin(pin))
    try:
        check_day_start(cfg.day_starts_at)
    except PrinterConfigError as exc:
        raise ConfigError(str(exc)) from None
    try:
        cfg = replace(cfg, locale=normalize_locale(cfg.locale))
    except ValueError as exc:
        raise ConfigError(f"locale: {exc}") from None
    try:
        cfg = replace(cfg, currency=normalize_currency(cfg.currency))
    except ValueError as exc:
        raise ConfigError(f"currency: {exc}") from None
    try:
        check_update_settings(cfg.update_window, cfg.release_public_key)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not 0.05 <= cfg.update_tick_seconds <= 3600:
        raise ConfigError("update_tick_seconds: between 0.05 and 3600")
    if len(cfg.hub_id) > 64 or any(c.isspace() for c in cfg.hub_id):
        raise ConfigError("hub_id: at most 64 characters, no spaces")
    return cfg


def check_update_settings(window: str, public_key: str) -> None:
    """Raise ValueError naming update_window or release_public_key when malformed."""
    try:
        Window.parse(window)
    except ValueError as exc:
        raise ValueError(f"update_window: {exc}") from None
    if public_key:
        from outlet_protocol.bundle import BundleError, load_public_key
        try:
            load_public_key(public_key)
        except BundleError as exc:
            raise ValueError(f"release_public_key: {exc}") from None


HUB_ID_FILE = "hub_id"


def read_stored_hub_id(data_dir: Path) -> str:
    """The hub id generated at an earlier start, or "" when there is none yet."""
    try:
        return (data_dir / HUB_ID_FILE).read_text().strip()
    except OSError:
        return ""


def with_persistent_hub_id(cfg: HubConfig) -> HubConfig:
    """`cfg` with a hub_id: the configured one, else one generated once and kept in data_dir.

    Random (64 bits) rather than `hub-outlet-<id>`, so a hub's id is not guessable by whoever
    holds another outlet's enrollment token; stable, so HQ sees one hub across restarts.
    """
    if cfg.hub_id:
        return cfg
    stored = read_stored_hub_id(cfg.data_dir)
    if not stored:
        stored = f"hub-{secrets.token_hex(8)}"
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = cfg.data_dir / (HUB_ID_FILE + ".tmp")
        tmp.write_text(stored + "\n")
        os.replace(tmp, cfg.data_dir / HUB_ID_FILE)
    return replace(cfg, hub_id=stored)
