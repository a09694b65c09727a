"""Hub releases at HQ, decided without I/O (decision 1101): rings, targets, update reports.

One rollout at a time names a release and a ring: `canary` (the listed outlets), `percent`
(the canaries plus a stable share of the other hubs) or `all`. Each change bumps the
rollout's generation; a hub that rolled a release back tries it again only when the
generation it hears is newer than the one it refused ("until told", hub/core/updates.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from outlet_protocol import fields
from outlet_protocol.errors import invalid
from outlet_protocol.releases import UPDATE_STATES, valid_version

RINGS = ("canary", "percent", "all")
MAX_CANARIES = 500


@dataclass(frozen=True)
class Rollout:
    """The release hubs should run, and which hubs: the admin's last assignment."""

    version: str
    ring: str
    canary_outlets: tuple[int, ...] = ()
    percentage: int = 0
    force: bool = False
    generation: int = 0


def parse_rollout(raw: Any) -> Rollout:
    """Validate an admin's assignment body; raises ProtocolError naming the field."""
    if not isinstance(raw, dict):
        raise invalid("body", "body must be an object")
    version = raw.get("version")
    if not valid_version(version):
        raise invalid("version", "version must name a published release")
    ring = raw.get("ring")
    if ring not in RINGS:
        raise invalid("ring", f"ring must be one of {', '.join(RINGS)}")
    canaries = raw.get("canary_outlets") or []
    if not isinstance(canaries, list) or len(canaries) > MAX_CANARIES:
        raise invalid("canary_outlets", f"canary_outlets must be a list of at most "
                                        f"{MAX_CANARIES} outlet ids")
    outlets = tuple(sorted({fields.integer(c, "canary_outlets", minimum=1) for c in canaries}))
    percentage = fields.integer(raw.get("percentage", 0), "percentage", minimum=0, maximum=100)
    if ring == "canary" and not outlets:
        raise invalid("canary_outlets", "a canary ring needs at least one outlet")
    force = raw.get("force", False)
    if not isinstance(force, bool):
        raise invalid("force", "force must be true or false")
    return Rollout(str(version), str(ring), outlets, percentage, force)


def bucket(hub_id: str) -> int:
    """A hub's stable place in 0..99: the same hubs stay in a ring as its share grows."""
    return int.from_bytes(hashlib.sha256(hub_id.encode()).digest()[:4], "big") % 100


def in_ring(rollout: Rollout, outlet_id: int, hub_id: str) -> bool:
    """Whether this hub is in the rollout's ring."""
    if rollout.ring == "all" or outlet_id in rollout.canary_outlets:
        return True
    return rollout.ring == "percent" and bucket(hub_id) < rollout.percentage


def target_for(rollout: Rollout | None, outlet_id: int, hub_id: str, sha256: str,
               size: int) -> dict[str, Any] | None:
    """The heartbeat answer's `update` object for one hub, or None when it is not in the ring."""
    if rollout is None or not in_ring(rollout, outlet_id, hub_id):
        return None
    return {"version": rollout.version, "generation": rollout.generation,
            "force": rollout.force, "sha256": sha256, "size": size}


def parse_update_report(raw: Any) -> dict[str, Any] | None:
    """The heartbeat's `update` object, bounded; None when absent (an older hub)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise invalid("update", "update must be an object")
    state = raw.get("state")
    if state not in UPDATE_STATES:
        raise invalid("update.state", f"update.state must be one of {', '.join(UPDATE_STATES)}")
    target = raw.get("target")
    if target is not None and not valid_version(target):
        raise invalid("update.target", "update.target must be a version")
    return {"state": state, "target": target,
            "generation": fields.integer(raw.get("generation", 0), "update.generation",
                                         minimum=0),
            "last_error": fields.text(raw.get("last_error"), "update.last_error", 300,
                                      default=None),
            "previous": raw.get("previous") if valid_version(raw.get("previous")) else None}


def outlet_view(outlet_id: int, outlet_name: str, hub: Any, rollout: Rollout | None,
                ) -> dict[str, Any]:
    """One row of the admin's release table: current version, target, state, last error."""
    beat = (hub.last_heartbeat if hub is not None else None) or {}
    report = beat.get("update") or {}
    target = None
    if hub is not None and rollout is not None and in_ring(rollout, outlet_id, hub.hub_id):
        target = rollout.version
    return {"outlet_id": outlet_id, "outlet_name": outlet_name,
            "hub_id": hub.hub_id if hub is not None else None,
            "current_version": (hub.version or None) if hub is not None else None,
            "target_version": target, "state": report.get("state"),
            "reported_target": report.get("target"), "last_error": report.get("last_error")}


def rollout_json(rollout: Rollout | None) -> dict[str, Any] | None:
    """The rollout as the admin API shows it."""
    if rollout is None:
        return None
    return {"version": rollout.version, "ring": rollout.ring,
            "canary_outlets": list(rollout.canary_outlets), "percentage": rollout.percentage,
            "force": rollout.force, "generation": rollout.generation}
