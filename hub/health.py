"""The hub's health object: `/health` on the ops port and the retained MQTT `hub/health`."""

from __future__ import annotations

from typing import Any

from hub.context import HubContext
from outlet_protocol.fields import iso


def health_body(ctx: HubContext) -> dict[str, Any]:
    """The `/health` object (also published retained on MQTT `hub/health`)."""
    tls, tls_reasons = ctx.tls_status()
    reasons = ctx.state.degraded_reasons() + ctx.supervisor.reasons() + tls_reasons
    db_ok = ctx.store.healthy
    if not db_ok and ctx.store.last_error:
        # SQLite's own words ("database or disk is full", "attempt to write a readonly
        # database") right after the fixed phrase below that alerts and tests match.
        reasons.insert(0, f"database: {ctx.store.last_error}")
    if not db_ok:
        reasons.insert(0, "database cannot commit")
    if ctx.devices.fault:
        reasons.append(ctx.devices.fault)
    counts = ctx.client_counts()
    return {
        "status": "ok" if db_ok and not reasons else ("degraded" if db_ok else "down"),
        "reasons": reasons, "timestamp": iso(), "uptime": round(ctx.uptime(), 3),
        "connections": len(ctx.fanout.clients), "clients": counts,
        "websocket": f"ws://0.0.0.0:{ctx.cfg.ws_port}/ws", "websocket_url": ctx.websocket_url,
        "hub_id": ctx.cfg.effective_hub_id, "outlet_id": ctx.cfg.outlet_id,
        "version": ctx.version, "db": "ok" if db_ok else "error", "mqtt": ctx.state.mqtt,
        "central": ctx.state.central, "outbox_pending": ctx.state.pending_sync,
        "oldest_unsynced_age_seconds": ctx.state.oldest_unsynced_age,
        "last_id": ctx.store.last_id, "last_rev": ctx.store.last_rev,
        "menu_version": ctx.state.menu_version, "notice": ctx.cfg.notice or None,
        "tasks": ctx.supervisor.snapshot(), "tls": tls,
        "update": ctx.update_report() if ctx.update_report is not None else None,
    }
