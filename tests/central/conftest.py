"""Central under test: real `outlet-central` processes on SQLite and on PostgreSQL.

Every API test module runs once per backend. PostgreSQL is 127.0.0.1:5432 (trust auth);
each run gets its own database, dropped afterwards. Outside CI an unreachable PostgreSQL
skips the PostgreSQL half; under CI=true it fails, so CI can never silently test less.
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.processes import Central, http_json, missing_prerequisite

PG_ADMIN_URL = os.environ.get("CENTRAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]


@functools.cache
def _pg_reachable(attempts: int = 3) -> str | None:
    """None when the server answers; else why not. Three tries: under CI a miss fails the
    test, and one slow connect on a busy host is not a missing PostgreSQL. Asked once per
    test process."""
    problem = ""
    for attempt in range(attempts):
        try:
            with psycopg.connect(PG_ADMIN_URL, connect_timeout=10):
                return None
        except psycopg.OperationalError as exc:
            problem = str(exc)
        if attempt + 1 < attempts:
            time.sleep(1)
    return problem


def require_postgres() -> None:
    """Fail under CI, skip elsewhere, when PostgreSQL is not there."""
    problem = _pg_reachable()
    if problem is None:
        return
    missing_prerequisite(f"PostgreSQL not reachable: {problem}")


@dataclass
class PgDatabase:
    """A throwaway database on the test PostgreSQL server."""

    name: str = field(default_factory=lambda: f"central_test_{secrets.token_hex(6)}")

    @property
    def url(self) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.name

    def create(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def make_database_url(backend: str, tmp: Path, cleanup: list[PgDatabase]) -> str:
    """A fresh database of `backend`."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'central.db'}"
    require_postgres()
    db = PgDatabase()
    db.create()
    cleanup.append(db)
    return db.url


@dataclass
class CentralUnderTest:
    """A running central plus an admin token and small helpers for arranging fixtures."""

    proc: Central
    admin: str
    backend: str

    @property
    def base(self) -> str:
        return self.proc.base

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             timeout: float = 30.0) -> tuple[int, Any]:
        """HTTP JSON call with an optional bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http_json(self.base + path, method, body, headers, timeout=timeout)

    def as_admin(self, method: str, path: str, body: Any = None) -> Any:
        """Admin call that must succeed; returns the body."""
        status, out = self.call(method, path, body, self.admin)
        assert status in (200, 201, 204), (method, path, status, out)
        return out

    def new_outlet(self, name: str = "Outlet") -> int:
        """A fresh outlet, so tests sharing one central never see each other's data."""
        return int(self.as_admin("POST", "/api/tenants/outlets/", {"name": name})["id"])

    def enrollment_token(self, outlet_id: int) -> str:
        return str(self.as_admin("POST", f"/api/outlets/{outlet_id}/enrollment-tokens")["token"])

    def register(self, outlet_id: int, hub_id: str, **extra: Any) -> tuple[int, Any]:
        """POST /api/hubs/register with a fresh enrollment token unless one is given."""
        body = {"hub_id": hub_id, "outlet_id": outlet_id,
                "websocket_url": extra.pop("websocket_url", "ws://192.168.1.10:3001/ws"),
                "http_url": "http://192.168.1.10:3001", "addresses": ["192.168.1.10"],
                "version": "0.1.0"}
        if "hub_token" not in extra and "enrollment_token" not in extra:
            extra["enrollment_token"] = self.enrollment_token(outlet_id)
        return self.call("POST", "/api/hubs/register", body | extra)

    def enrolled_hub(self, hub_id: str | None = None) -> tuple[int, str, str]:
        """(outlet_id, hub_token, display_token) of a freshly enrolled hub."""
        outlet_id = self.new_outlet()
        status, body = self.register(outlet_id, hub_id or f"hub-{secrets.token_hex(4)}")
        assert status == 200, body
        return outlet_id, body["hub_token"], body["display_token"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the module on the parametrised backend."""
    cleanup: list[PgDatabase] = []
    yield make_database_url(backend, tmp_path_factory.mktemp(f"db-{backend}"), cleanup)
    for db in cleanup:
        db.drop()


def start_central(workdir: Path, database_url: str, **env: str) -> Central:
    """Start a central process; the caller kills it."""
    proc = Central(workdir, database_url, env={"CENTRAL_HUB_OFFLINE_AFTER": "3", **env},
                   name=f"central-{secrets.token_hex(3)}")
    proc.start()
    return proc


def hub_enrolled_at_new_central(tmp_path: Path, procs: list[Any], hub_factory: Any,
                                outlet_name: str, **env: str) -> tuple[Central, CentralUnderTest, int, Any]:
    """A real central (SQLite) with one outlet and a real hub enrolling with it: (the central
    process, its admin client, the outlet id, the hub). `env` is the hub's extra environment."""
    proc = start_central(tmp_path / "central", f"sqlite:///{tmp_path / 'central.db'}")
    procs.append(proc)
    hq = CentralUnderTest(proc, proc.admin_token(), "sqlite")
    outlet_id = hq.new_outlet(outlet_name)
    hub = hub_factory(outlet_id=outlet_id, env={
        "HUB_CENTRAL_URL": hq.base, "HUB_ENROLLMENT_TOKEN": hq.enrollment_token(outlet_id), **env})
    return proc, hq, outlet_id, hub


@pytest.fixture(scope="module")
def central(backend: str, database_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralUnderTest]:
    """One central process per module and backend, with an admin logged in."""
    proc = start_central(tmp_path_factory.mktemp(f"central-{backend}"), database_url)
    try:
        yield CentralUnderTest(proc, proc.admin_token(), backend)
    finally:
        proc.kill()
