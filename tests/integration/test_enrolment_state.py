"""A hub's first enrolment, as the status page and the apps read it (a CI run of
`tests/test_demo.py` caught the gap): from the moment /health says central is "ok",
/api/outlet must say enrolled, even while the outlet's settings from central are still
being written to the hub's store. A real central (SQLite), a real store, the hub's own
CentralLink; only the store's settings write is held open by the test."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from hub.app import build_context
from hub.central_link import CentralLink
from hub.config import load
from hub.store import migrate
from tests.central.conftest import CentralUnderTest


async def test_central_ok_is_never_read_beside_not_enrolled(hq: CentralUnderTest,
                                                            tmp_path: Path) -> None:
    outlet = hq.new_outlet("Warung Bu Sri")
    cfg = load(environ={"HUB_DATA_DIR": str(tmp_path / "hub"), "HUB_OUTLET_ID": str(outlet),
                        "HUB_MQTT_URL": "none", "HUB_ZEROCONF": "off",
                        "HUB_CENTRAL_URL": hq.base, "HUB_LOCALE": "en",
                        "HUB_ENROLLMENT_TOKEN": hq.enrollment_token(outlet)})
    ctx = build_context(cfg)
    await asyncio.to_thread(migrate, cfg.db_path)
    ctx.store.start(asyncio.get_running_loop())
    link = CentralLink(ctx)
    link.session = aiohttp.ClientSession()
    # Central's outlet speaks id-ID and the hub says en: enrolment writes the new settings.
    writing, finish = asyncio.Event(), asyncio.Event()
    write = ctx.store.set_metas

    async def held_write(facts: dict[str, str]) -> None:
        writing.set()
        await finish.wait()
        await write(facts)

    ctx.store.set_metas = held_write  # type: ignore[method-assign]
    try:
        assert ctx.state.enrolled is False
        registering = asyncio.create_task(link.register())
        await asyncio.wait_for(writing.wait(), 30)
        assert ctx.state.central == "ok"
        assert ctx.state.enrolled is True, "central ok beside enrolled=false"
        finish.set()
        await asyncio.wait_for(registering, 30)
        assert ctx.state.enrolled is True and ctx.outlet_locale() == "id-ID"
    finally:
        finish.set()
        await link.session.close()
        await ctx.store.close()
