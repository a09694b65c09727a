"""Published hub releases and the rollout in force (decision 1101), on SQLite or PostgreSQL.

Bundles live in the database, in 1 MiB chunks: every central process serves the same
bytes, `outlet-central backup` covers them, and a Range request reads only its chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from sqlalchemy import Engine, delete, insert, select, update

from central.core.releases import Rollout
from central.store.schema import hub_release_chunks, hub_releases, release_rollout
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso

CHUNK = 1024 * 1024


class ReleaseStore:
    """The `hub_releases`, `hub_release_chunks` and `release_rollout` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def publish(self, version: str, sha256: str, size: int, manifest: dict[str, Any],
                source: BinaryIO, now: float) -> bool:
        """Store a bundle; False (and nothing changed) when that version already exists."""
        with self.engine.begin() as conn:
            known = conn.execute(select(hub_releases.c.sha256)
                                 .where(hub_releases.c.version == version)).first()
            if known is not None:
                if known.sha256 != sha256:
                    raise ProtocolError("conflict", f"release {version} was published with "
                                        f"other content; publish a new version", "version")
                return False
            conn.execute(insert(hub_releases).values(
                version=version, sha256=sha256, size=size, manifest=manifest,
                chunk_size=CHUNK, published_at=now))
            seq = 0
            while chunk := source.read(CHUNK):
                conn.execute(insert(hub_release_chunks).values(version=version, seq=seq,
                                                               data=chunk))
                seq += 1
        return True

    def list(self) -> list[dict[str, Any]]:
        """Every release, newest first, without its bytes."""
        t = hub_releases
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.version, t.c.sha256, t.c.size, t.c.manifest,
                                       t.c.published_at).order_by(t.c.published_at.desc()))
            return [{"version": r.version, "sha256": r.sha256, "size": r.size,
                     "schema": (r.manifest or {}).get("schema"),
                     "backward_compatible": (r.manifest or {}).get("backward_compatible"),
                     "published_at": iso(r.published_at)} for r in rows]

    def info(self, version: str) -> tuple[str, int] | None:
        """(sha256, size) of a release, None when unknown."""
        with self.engine.connect() as conn:
            row = conn.execute(select(hub_releases.c.sha256, hub_releases.c.size)
                               .where(hub_releases.c.version == version)).first()
        return (row.sha256, int(row.size)) if row is not None else None

    def read(self, version: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes [start, end] (inclusive) of the bundle, chunk by chunk."""
        first, last = start // CHUNK, end // CHUNK
        t = hub_release_chunks
        for seq in range(first, last + 1):
            with self.engine.connect() as conn:
                data = conn.execute(select(t.c.data).where(t.c.version == version,
                                                           t.c.seq == seq)).scalar_one()
            lo = start - seq * CHUNK if seq == first else 0
            hi = end - seq * CHUNK + 1 if seq == last else len(data)
            yield bytes(data[lo:hi])

    def rollout(self) -> Rollout | None:
        """The rollout in force, if any."""
        with self.engine.connect() as conn:
            r = conn.execute(select(release_rollout).where(release_rollout.c.id == 1)).first()
        if r is None:
            return None
        return Rollout(r.version, r.ring, tuple(r.canary_outlets), r.percentage, r.force,
                       r.generation)

    def assign(self, rollout: Rollout, by: str, now: float) -> Rollout:
        """Put `rollout` in force with the next generation (a reassignment tells hubs that
        rolled it back to try again)."""
        with self.engine.begin() as conn:
            if conn.execute(select(hub_releases.c.version)
                            .where(hub_releases.c.version == rollout.version)).first() is None:
                raise ProtocolError("not_found", f"release {rollout.version} is not published",
                                    "version")
            current = conn.execute(select(release_rollout.c.generation)
                                   .where(release_rollout.c.id == 1)).scalar()
            generation = int(current or 0) + 1
            values = {"version": rollout.version, "ring": rollout.ring,
                      "canary_outlets": list(rollout.canary_outlets),
                      "percentage": rollout.percentage, "force": rollout.force,
                      "generation": generation, "updated_at": now, "updated_by": by}
            if current is None:
                conn.execute(insert(release_rollout).values(id=1, **values))
            else:
                conn.execute(update(release_rollout).where(release_rollout.c.id == 1)
                             .values(**values))
        return Rollout(rollout.version, rollout.ring, rollout.canary_outlets,
                       rollout.percentage, rollout.force, generation)

    def withdraw(self) -> None:
        """No rollout: hubs keep what they run."""
        with self.engine.begin() as conn:
            conn.execute(delete(release_rollout))
