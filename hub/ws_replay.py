"""A screen's replay (docs/protocol.md §2): what it missed since its `since_rev`/`since_id`.

Screens resuming from the same position with the same filter since the last commit share one
read and one encoding (`hub/replay_share.py`); a replay longer than one page is read and
sent page by page for that screen alone. A replay that fails closes the socket (1011), so the
screen comes back with the same position instead of believing it caught up.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING

from hub.core.messages import build, dumps_bytes
from hub.core.wsframe import text_frame
from hub.replay_share import Replay
from hub.store import OrderStore
from outlet_protocol.feed import NEW_ORDER, ClientFilter, next_page, select_replay

if TYPE_CHECKING:
    from hub.ws import Session

log = logging.getLogger(__name__)
REPLAY_PAGE = 1000


async def replay(s: Session, since_rev: int | None, since_id: int | None) -> None:
    """Send what the screen missed (live changes are held meanwhile by the fan-out), then
    release the held ones: shared when other screens ask the same, else page by page."""
    store, flt = s.ctx.store, s.client.filter
    # `upto` is always a position read inside the same snapshot as the rows sent, so a
    # held live change is skipped only if the replay really covered it.
    upto = store.committed_rev
    try:
        # Screens asking the same since the last commit share one read (hub/replay_share.py).
        key = ("rev", since_rev, flt) if since_rev is not None else ("id", since_id or 0, flt)
        shared = await s.ctx.replays.get(store.commits, key,
                                            partial(_read_shared, store, since_rev, since_id,
                                                    flt))
        if shared is not None:
            blob, upto = shared
            s.ctx.fanout.send_frames(s.client, blob)
            return
        upto = await _replay_paged(s, since_rev, since_id)
        s.send("replay_done", {"last_rev": upto})
    except Exception:
        # Silence would leave the screen believing it caught up: close it, and it comes
        # back with the same since_rev.
        log.exception("replay for %s failed; closing so it resumes", s.client.id)
        s.client.closed = True
        asyncio.get_running_loop().create_task(
            s.ws.close(code=1011, message=b"replay failed; reconnect"))
    finally:
        s.ctx.fanout.finish_replay(s.client, upto)

async def _replay_paged(s: Session, since_rev: int | None, since_id: int | None) -> int:
    """A replay longer than one page, read and sent page by page for this screen alone."""
    store, flt = s.ctx.store, s.client.filter
    upto = store.committed_rev
    shown: set[str] = set()        # uuids sent as new_order by earlier pages
    position: int | None
    if since_rev is not None:
        position = since_rev
        while position is not None:
            rows, upto = await store.read(
                partial(OrderStore.orders_since_rev, since_rev=position,
                        tenant_ids=flt.tenant_ids, limit=REPLAY_PAGE))
            for kind, payload in select_replay(rows, since_rev, flt, shown):
                s.send(kind, payload, replay=True)
            position = next_page(rows, REPLAY_PAGE, "rev")
    else:
        position = since_id or 0
        while position is not None:
            rows, upto = await store.read(
                partial(OrderStore.orders_since_id_at, since_id=position,
                        tenant_ids=flt.tenant_ids, limit=REPLAY_PAGE))
            for order in rows:
                if flt.wants(NEW_ORDER, order.get("tenant_id")):
                    s.send(NEW_ORDER, order, replay=True)
            position = next_page(rows, REPLAY_PAGE, "id")
    return upto


async def _read_shared(store: OrderStore, since_rev: int | None, since_id: int | None,
                       flt: ClientFilter) -> Replay:
    """A whole replay as one block of frames ending in `replay_done`, or None past one page."""
    if since_rev is not None:
        rows, upto = await store.read(partial(OrderStore.orders_since_rev, since_rev=since_rev,
                                              tenant_ids=flt.tenant_ids, limit=REPLAY_PAGE))
        messages = select_replay(rows, since_rev, flt)
    else:
        rows, upto = await store.read(partial(OrderStore.orders_since_id_at, since_id=since_id or 0,
                                              tenant_ids=flt.tenant_ids, limit=REPLAY_PAGE))
        messages = [(NEW_ORDER, o) for o in rows if flt.wants(NEW_ORDER, o.get("tenant_id"))]
    if next_page(rows, REPLAY_PAGE, "rev" if since_rev is not None else "id") is not None:
        return None
    frames = [text_frame(dumps_bytes(build(kind, payload, replay=True)))
              for kind, payload in messages]
    frames.append(text_frame(dumps_bytes(build("replay_done", {"last_rev": upto}))))
    return b"".join(frames), upto
