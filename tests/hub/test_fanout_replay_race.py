"""A replay's snapshot can include a commit whose change reaches the loop only after the
replay ended; that change must not be sent to the client a second time.

Found by the SIGKILL chaos run (tests/chaos): kitchens resuming while kiosks resend got a
few orders as `new_order` twice. The writer thread commits, a replay reads the committed
row and sends it, finish_replay makes the client live, and only then does the commit's
`_deliver` publish the same rev live.
"""

from __future__ import annotations

from typing import Any

from hub.fanout import Client, Fanout
from hub.store import Change
from outlet_protocol.feed import ClientFilter


class _Conn:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False


class _Socket:
    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        return True


def _change(rev: int) -> Change:
    order: dict[str, Any] = {"id": rev, "rev": rev, "created_rev": rev, "uuid": f"u{rev}",
                             "order_number": f"N{rev}", "tenant_id": None, "status": "pending"}
    return Change(rev=rev, kind="created", order=order, from_status=None, by=None, at="")


async def test_change_covered_by_the_replay_is_not_sent_again_live() -> None:
    fanout = Fanout()
    conn = _Conn()
    client = Client("kitchen-1", ClientFilter("kitchen", frozenset()), _Socket(), conn, "127.0.0.1")
    fanout.clients.add(client)
    client.replaying = True
    fanout.finish_replay(client, upto_rev=10)     # the replay's snapshot already had rev 10
    fanout.publish([_change(10), _change(11)])    # rev 10's commit reaches the loop late
    sent = b"".join(conn.written)
    assert b'"u10"' not in sent, "rev 10 sent twice: once by the replay, once live"
    assert b'"u11"' in sent
