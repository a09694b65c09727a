"""Central's configuration: one loader, environment < CLI flags, checked at start."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from central.core.proxies import Network, parse_networks
from central.store.database import default_url
from hub.ui_location import ui_root


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the variable."""


@dataclass(frozen=True)
class CentralConfig:
    """Everything central needs at start; immutable once loaded."""

    database_url: str
    bind: str = "0.0.0.0"
    port: int = 8000
    # 3 missed heartbeats at the hub's default 15 s interval.
    hub_offline_after: float = 45.0
    enrollment_ttl: float = 24 * 3600.0
    session_ttl: float = 12 * 3600.0
    auth_failure_limit: int = 10
    auth_failure_window: float = 60.0
    sd_token: str | None = None
    ui_dir: Path = field(default_factory=ui_root)
    log_level: str = "INFO"
    # SHA-256 (hex) of the bearer token /metrics requires; None leaves /metrics open.
    metrics_token_sha256: str | None = None
    # Peers whose X-Forwarded-For is believed (the reverse proxy); empty: nobody's.
    trusted_proxies: tuple[Network, ...] = ()
    # Opens the LAN CA's key (decision 1001); empty: no CA, hubs serve plain HTTP only.
    pki_key: str = field(default="", repr=False)
    # The operator's own domain for hub names (`hub-<slug>.<domain>`), besides `.local`.
    pki_domain: str = ""
    # Base64 Ed25519 public key of the release key: `release publish` refuses a bundle the
    # hubs would refuse (decision 1101).
    release_public_key: str = ""
    # Hubs' uploaded backups (PUT /api/hubs/backup): where, how big one may be, how many
    # per hub. A hub keeping 30 days of a busy stall's orders is ~20 MB; 256 MiB is headroom.
    hub_backup_dir: Path = Path("var/central/hub-backups")
    hub_backup_max_bytes: int = 256 * 1024 * 1024
    hub_backup_keep: int = 3


def _number(env: Mapping[str, str], name: str, default: float, *, integer: bool = False) -> Any:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def load(env: Mapping[str, str] | None = None, **flags: Any) -> CentralConfig:
    """Read CENTRAL_* variables, then apply non-None flags (`port=`, `bind=`, …)."""
    env = os.environ if env is None else env
    port = _number(env, "CENTRAL_PORT", 8000, integer=True)
    if port > 65535:
        raise ConfigError("CENTRAL_PORT must be at most 65535")
    cfg = CentralConfig(
        database_url=env.get("CENTRAL_DATABASE_URL") or default_url(env.get("CENTRAL_DATA_DIR")),
        bind=env.get("CENTRAL_BIND") or "0.0.0.0",
        port=port,
        hub_offline_after=_number(env, "CENTRAL_HUB_OFFLINE_AFTER", 45.0),
        enrollment_ttl=_number(env, "CENTRAL_ENROLLMENT_TTL", 24 * 3600.0),
        session_ttl=_number(env, "CENTRAL_SESSION_TTL", 12 * 3600.0),
        auth_failure_limit=_number(env, "CENTRAL_AUTH_FAILURE_LIMIT", 10, integer=True),
        auth_failure_window=_number(env, "CENTRAL_AUTH_FAILURE_WINDOW", 60.0),
        sd_token=env.get("CENTRAL_SD_TOKEN") or None,
        ui_dir=Path(env.get("CENTRAL_UI_DIR") or ui_root()),
        log_level=(env.get("CENTRAL_LOG_LEVEL") or "INFO").upper(),
        metrics_token_sha256=_metrics_token(env),
        trusted_proxies=_trusted_proxies(env),
        pki_key=_pki_key(env),
        pki_domain=_pki_domain(env),
        release_public_key=env.get("CENTRAL_RELEASE_PUBLIC_KEY") or "",
        hub_backup_dir=Path(env.get("CENTRAL_HUB_BACKUP_DIR") or Path(
            env.get("CENTRAL_DATA_DIR") or "var/central") / "hub-backups"),
        hub_backup_max_bytes=_number(env, "CENTRAL_HUB_BACKUP_MAX_BYTES", 256 * 1024 * 1024,
                                     integer=True),
        hub_backup_keep=_number(env, "CENTRAL_HUB_BACKUP_KEEP", 3, integer=True),
    )
    return replace(cfg, **{k: v for k, v in flags.items() if v is not None})


def _metrics_token(env: Mapping[str, str]) -> str | None:
    token = env.get("CENTRAL_METRICS_TOKEN") or None
    if token is not None and len(token) < 16:
        raise ConfigError("CENTRAL_METRICS_TOKEN must be at least 16 characters")
    return token_digest(token) if token is not None else None


def _pki_key(env: Mapping[str, str], name: str = "CENTRAL_PKI_KEY") -> str:
    """The passphrase sealing the LAN CA's key: long enough not to be guessed offline."""
    key = env.get(name) or ""
    if key and len(key) < 24:
        raise ConfigError(f"{name} must be at least 24 characters")
    return key


def pki_new_key(env: Mapping[str, str] | None = None) -> str:
    """CENTRAL_PKI_NEW_KEY, the passphrase `outlet-central pki rekey` seals the CA with."""
    key = _pki_key(os.environ if env is None else env, "CENTRAL_PKI_NEW_KEY")
    if not key:
        raise ConfigError("CENTRAL_PKI_NEW_KEY must be set to rekey")
    return key


def _pki_domain(env: Mapping[str, str]) -> str:
    domain = (env.get("CENTRAL_PKI_DOMAIN") or "").strip().strip(".").lower()
    labels = domain.split(".") if domain else []
    if any(not label or len(label) > 63 or not label.replace("-", "").isalnum()
           for label in labels) or len(domain) > 200:
        raise ConfigError(f"CENTRAL_PKI_DOMAIN {domain!r} is not a DNS domain")
    return domain


def _trusted_proxies(env: Mapping[str, str]) -> tuple[Network, ...]:
    try:
        return parse_networks(env.get("CENTRAL_TRUSTED_PROXIES") or "")
    except ValueError as exc:
        raise ConfigError(f"CENTRAL_TRUSTED_PROXIES: {exc}") from None


def token_digest(token: str) -> str:
    """SHA-256 hex of a token: what config keeps and what a presented token is compared to."""
    return hashlib.sha256(token.encode()).hexdigest()
