"""The updater adapter (hub/updater.py) in one process with a real store and real files:
a new release that misses its deadline asks for the restart that rolls it back, a failed
install leaves the running release alone, and the self-test order commits nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub import __version__
from hub.app import build_context
from hub.central_link import CentralLink
from hub.config import load
from hub.context import HubContext
from hub.core import updates as rules
from hub.core.updates import State, Target, UpdateRecord
from hub.launcher import guard
from hub.release_layout import Layout
from hub.store import migrate
from hub.updater import Updater
from outlet_protocol.bundle import public_key_text
from tests.support.releases import stand_in_bundle

KEY = Ed25519PrivateKey.generate()


class Restarted(Exception):
    """Raised by the test's restart callback, in place of SIGTERM to the test process."""


def restart() -> None:
    raise Restarted


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[HubContext]:
    cfg = load(environ={"HUB_DATA_DIR": str(tmp_path / "data"), "HUB_OUTLET_ID": "1",
                        "HUB_MQTT_URL": "none", "HUB_ZEROCONF": "off",
                        "HUB_CENTRAL_URL": "http://127.0.0.1:9", "HUB_UPDATE_ROOT":
                        str(tmp_path / "root"), "HUB_UPDATE_WINDOW": "00:00-23:59",
                        "HUB_RELEASE_PUBLIC_KEY": public_key_text(KEY.public_key())})
    context = build_context(cfg)
    await asyncio.to_thread(migrate, cfg.db_path)
    context.store.start(asyncio.get_running_loop())
    yield context
    await context.store.close()


def installed(ctx: HubContext, *versions: str) -> Layout:
    layout = Layout(Path(ctx.cfg.update_root))
    for v in versions:
        layout.release(v).mkdir(parents=True)
    return layout


async def test_a_release_that_misses_its_deadline_restarts_into_the_rollback(
        ctx: HubContext) -> None:
    layout = installed(ctx, "0.0.9", __version__)
    layout.point("current", __version__)
    rec = rules.on_target(UpdateRecord("0.0.9"), Target(__version__, generation=2))
    layout.write_record(rules.switched(replace(rec, state=State.INSTALLING), now=1000.0))
    updater = Updater(ctx, CentralLink(ctx), restart=restart)
    updater.clock = lambda: 1000.0 + rules.VERIFY_SECONDS + 1    # central never answered
    with pytest.raises(Restarted):
        await updater.run()
    assert guard(layout, ["run"], now=1000.0 + rules.VERIFY_SECONDS + 2)
    assert layout.linked_version("current") == "0.0.9"
    assert layout.read_record("?").state == State.ROLLED_BACK


async def test_a_failed_install_keeps_the_running_release_and_retries_later(
        ctx: HubContext, tmp_path: Path) -> None:
    layout = installed(ctx, __version__)
    layout.point("current", __version__)
    bundle = stand_in_bundle(tmp_path / "b", KEY, "9.9.9")    # its "pip" is not a wheel
    layout.downloads.mkdir(parents=True)
    (layout.downloads / "9.9.9.bundle").write_bytes(bundle.read_bytes())
    updater = Updater(ctx, CentralLink(ctx), restart=restart)
    updater.record = rules.downloaded(rules.on_target(updater.record, Target("9.9.9", 1)))
    await updater.step()
    rec = updater.record
    assert (rec.state, rec.attempts) == (State.DOWNLOADED, 1)
    assert "pip install failed" in rec.last_error
    assert rec.retry_at > updater.clock()
    assert not layout.release("9.9.9").exists()
    assert layout.linked_version("current") == __version__


async def test_a_record_from_another_install_starts_over_but_remembers_refusals(
        ctx: HubContext) -> None:
    layout = installed(ctx, __version__)
    layout.write_record(UpdateRecord("0.0.1", state=State.DONE, refused={"0.0.5": 3}))
    updater = Updater(ctx, CentralLink(ctx), restart=restart)
    assert updater.record == UpdateRecord(__version__, refused={"0.0.5": 3})


async def test_the_self_test_order_commits_nothing_and_leaves_no_gap(ctx: HubContext) -> None:
    before = (ctx.store.last_id, ctx.store.last_rev)
    tested = await ctx.intake.self_test()
    assert tested["id"] == before[0] + 1
    assert (ctx.store.last_id, ctx.store.last_rev) == before
    from tests.support.wsclient import make_order
    ack = await ctx.intake.submit(make_order("A-1"), transport="http", source="http",
                                  authorized=True)
    assert (ack["id"], ack["rev"]) == (before[0] + 1, before[1] + 1)
