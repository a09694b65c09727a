"""The guard remembers its per-request answers (peer address, Host) and must still answer as
if it did not: a refusal stays a refusal, and a Host allowed only through the system host
name follows that name when first boot changes it (hub/security.py `make_guard_middleware`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub import config, security


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _client(tmp_path: Path) -> TestClient[web.Request, web.Application]:
    cfg = config.load(None, {"HUB_DATA_DIR": str(tmp_path), "HUB_ID": "warung-1"})
    app = web.Application(middlewares=[security.make_guard_middleware(cfg, writes=False)])
    app.router.add_get("/", _ok)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_refused_host_stays_refused_and_allowed_names_stay_allowed(tmp_path: Path) -> None:
    client = await _client(tmp_path)
    try:
        for _ in range(3):
            assert (await client.get("/", headers={"Host": "evil.example"})).status == 403
            assert (await client.get("/", headers={"Host": "warung-1.local:8080"})).status == 200
            assert (await client.get("/", headers={"Host": "192.168.1.20:8080"})).status == 200
    finally:
        await client.close()


async def test_system_host_name_is_read_per_request_not_remembered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security.socket, "gethostname", lambda: "raspberrypi")
    client = await _client(tmp_path)
    try:
        assert (await client.get("/", headers={"Host": "raspberrypi.local"})).status == 200
        assert (await client.get("/", headers={"Host": "outlet-7.local"})).status == 403
        # First boot renames the machine after the hub started: the new name now works…
        monkeypatch.setattr(security.socket, "gethostname", lambda: "outlet-7")
        assert (await client.get("/", headers={"Host": "outlet-7.local"})).status == 200
        # …and the old one no longer does, though it was allowed a moment ago.
        assert (await client.get("/", headers={"Host": "raspberrypi.local"})).status == 403
    finally:
        await client.close()
