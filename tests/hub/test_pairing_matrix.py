"""Every route and socket of the hub, every kind of caller, pairing off and required (issue 12).

One parametrized test; the expected answers are the table in its docstring, parsed, so
the printed matrix and what is checked cannot drift apart. Real hub processes, real HTTP
and WebSocket clients, real tokens obtained by pairing with the manager PIN.
"""

from __future__ import annotations

import asyncio
import json
import uuid as uuidlib
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.hub.pairing_support import PIN, pair, revoke
from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order

LEGACY_TOKEN = "legacy-4c1d9e7a2b5f-shared"
WRONG_TOKEN = "not-a-device-token-8e1f2a3b4c5d6e7f8a9b0c1d2e3f"
CALLERS = ("none", "wrong", "revoked", "legacy", "pos", "kitchen", "board", "display")


def _matrix(doc: str) -> dict[tuple[str, str, str], str]:
    """(mode, route, caller) → expected answer, read from the table in `doc`."""
    out: dict[tuple[str, str, str], str] = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) != 2 + len(CALLERS) or cells[0] not in ("off", "required"):
            continue
        for caller, answer in zip(CALLERS, cells[2:], strict=True):
            out[(cells[0], cells[1], caller)] = answer
    return out




class Outlet:
    """One running hub with a paired device of every role, one revoked, and one order."""

    def __init__(self, hub: Hub, tokens: dict[str, str | None], order_uuid: str,
                 request_id: str) -> None:
        self.hub, self.tokens, self.order_uuid, self.request_id = hub, tokens, order_uuid, request_id


def _start(workdir: Any, mode: str) -> Outlet:
    # A kitchen printer nobody listens for (the discard port): its routes exist, its tickets wait.
    env = {"HUB_PAIRING": mode, "HUB_MANAGER_PIN": PIN,
           "HUB_PRINTERS": json.dumps([{"name": "grill", "url": "tcp://127.0.0.1:9"}])}
    if mode == "required":
        env["HUB_CLIENT_TOKEN"] = LEGACY_TOKEN
    hub = Hub(workdir, env=env, name=f"hub-{mode}")
    hub.start()
    tokens: dict[str, str | None] = {"none": None, "wrong": WRONG_TOKEN, "legacy": LEGACY_TOKEN}
    for role in ("pos", "kitchen", "board", "display"):
        tokens[role] = pair(hub, role)[1]
    revoked_id, tokens["revoked"] = pair(hub, "kitchen")
    assert revoke(hub, revoked_id)[0] == 200
    order = make_order("M-1")
    status, ack = http_json(f"{hub.base}/api/orders", "POST", order,
                            headers={"Authorization": f"Bearer {tokens['pos']}"})
    assert status == 201, ack
    status, req = http_json(f"{hub.base}/api/pairing", "POST", {"client_type": "board",
                                                                "name": "poll target"})
    assert status == 201, req
    return Outlet(hub, tokens, order["uuid"], req["request_id"])


@pytest.fixture(scope="module")
def outlets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outlet]]:
    workdir = tmp_path_factory.mktemp("pairing-matrix")
    started: dict[str, Outlet] = {}
    try:
        for mode in ("off", "required"):
            started[mode] = _start(workdir, mode)
        yield started
    finally:
        for outlet in started.values():
            outlet.hub.kill()


async def _ws_answer(outlet: Outlet, route: str, token: str | None) -> str:
    """What a socket gets: conn | wait (no feed until a token) | 401 | 4001 | ack | <error code>."""
    hub = outlet.hub
    url_token = {} if route == "WS hello token" or token is None else {"token": token}
    try:
        url = hub.base.replace("http", "ws") + "/" if route == "WS / connect" else hub.ws_url
        client = await WsClient.connect(url, client_type="kitchen", **url_token)
    except aiohttp.WSServerHandshakeError as exc:
        return str(exc.status)
    try:
        if route == "WS hello token":
            hello: dict[str, Any] = {"client_type": "kitchen"}
            if token is not None:
                hello["token"] = token
            await client.send("hello", hello)
        # Frames are answered in order, so whatever came before the pong came first.
        pong = await client.request("ping", {"timestamp": 1})
        if route in ("WS connect", "WS / connect", "WS hello token"):
            if route == "WS hello token":
                try:
                    await client.wait_for(lambda m: m["type"] == "connected" and
                                          m.get("ref") is not None, timeout=5)
                except TimeoutError:
                    pass
            before = client.messages[:client.messages.index(pong)]
            if any(m["type"] == "connected" for m in client.messages):
                return "conn"
            if client.closed or any(m["type"] == "error" for m in before):
                return str(client.close_code) if client.closed else "error"
            return "wait"
        payload: Any = {"order": make_order(f"W-{uuidlib.uuid4().hex[:6]}")}
        if route == "WS order_update":
            payload = {"uuid": outlet.order_uuid, "status": "preparing"}
        elif route == "WS ack_order":
            payload = {"uuid": outlet.order_uuid}
        kind = route.split()[1]
        reply = await client.request(kind, payload)
        if reply["type"] == "ack":
            return "ack"
        if reply["payload"]["code"] == "unauthorized":
            await asyncio.wait_for(client._reader, 5)
            return str(client.close_code)
        code = str(reply["payload"]["code"])
        return "deny" if code == "forbidden" else code
    finally:
        await client.close()


def _http_answer(outlet: Outlet, route: str, token: str | None) -> str:
    hub = outlet.hub
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    method, path = route.split()[0], route.split()[1]
    body: Any = None
    if path.startswith("/api/devices") or route == "GET /api/pairing" or route.endswith("+pin"):
        headers["X-Manager-Pin"] = PIN
    if route.endswith("(ops)"):
        url = hub.ops + path
    else:
        url = hub.base + (path.replace("{id}", outlet.order_uuid).replace("{rid}", outlet.request_id)
                          .replace("{k}", "tenants").replace("{x}", "dev-unknown")
                          .replace("{p}", "grill").replace("{job}", "999999")
                          .replace("{so}", "7"))
    if method == "POST" and path in ("/api/orders", "/emit"):
        body = make_order(f"H-{uuidlib.uuid4().hex[:6]}")
    elif method == "PATCH":
        body = {"status": "preparing"}
    elif path == "/api/pairing" and method == "POST":
        body = {"client_type": "display", "name": "matrix"}
    elif method == "POST" and path.startswith(("/api/printers/", "/api/orders/")):
        body = {}
    elif path in ("/api/pairing/approve", "/api/pairing/reject"):
        body = {"code": "000000", "pin": PIN}          # no such code: 404 after the PIN check
    status, _ = http_json(url, method, body, headers=headers)
    return str(status)


def test_route_by_caller_by_pairing_mode(outlets: dict[str, Outlet], mode: str, route: str,
                                         caller: str) -> None:
    """The documented answer of every hub route and socket to every caller.

    Callers: none (no token), wrong (a token nobody issued), revoked (a kitchen token
    revoked with DELETE /api/devices/<id>), legacy (the shared `client_token`, set only on
    the required hub), and a paired device of each role. Answers: an HTTP status; for
    sockets `conn` (a `connected` frame), `wait` (socket open but silent until a `hello`
    carries a token), `401` (upgrade refused), `4001` (closed by the hub after an
    `unauthorized` error), `ack`, or `deny` (an `error` frame with code `forbidden`; the
    socket stays open). Manager calls (`/api/devices*`, `GET /api/pairing`, approve and
    reject of a code nobody has, hence 404) carry the right manager PIN: they are guarded
    by the PIN, not by device tokens. Printer routes (a printer `grill` that never answers):
    the list is an order read, reprint / test / a held ticket's decision are kitchen
    writes (a held job nobody has, hence 404), and the status page's test print may carry
    the manager PIN instead (`+pin`). Sold out (issue 14) is a kitchen or POS write; this
    hub has no menu, so a permitted mark answers 404 (product 7 is not on it).

    mode     | route                     | none | wrong | revoked | legacy | pos  | kitchen | board | display
    off      | GET /api/orders           | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /api/orders/{id}      | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | POST /api/orders          | 201  | 201   | 201     | 201    | 201  | 201     | 201   | 201
    off      | POST /emit                | 201  | 201   | 201     | 201    | 201  | 201     | 201   | 201
    off      | PATCH /api/orders/{id}    | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | WS connect                | conn | conn  | conn    | conn   | conn | conn    | conn  | conn
    off      | WS / connect              | conn | conn  | conn    | conn   | conn | conn    | conn  | conn
    off      | WS hello token            | conn | conn  | conn    | conn   | conn | conn    | conn  | conn
    off      | WS new_order              | ack  | ack   | ack     | ack    | ack  | ack     | ack   | ack
    off      | WS order_update           | ack  | ack   | ack     | ack    | ack  | ack     | ack   | ack
    off      | WS ack_order              | ack  | ack   | ack     | ack    | ack  | ack     | ack   | ack
    off      | GET /api/status           | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /api/outlet           | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /api/master-data/{k}  | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /api/sold-out          | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | PUT /api/sold-out/{so}     | 404  | 404   | 404     | 404    | 404  | 404     | 404   | 404
    off      | DELETE /api/sold-out/{so}  | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET / (status page)       | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /kiosk/index.html     | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /health (ops)         | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /metrics (ops)        | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /clients (ops)        | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | POST /api/pairing         | 201  | 201   | 201     | 201    | 201  | 201     | 201   | 201
    off      | GET /api/pairing/{rid}    | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /api/devices          | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | GET /api/pairing          | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | POST /api/pairing/approve | 404  | 404   | 404     | 404    | 404  | 404     | 404   | 404
    off      | POST /api/pairing/reject  | 404  | 404   | 404     | 404    | 404  | 404     | 404   | 404
    off      | DELETE /api/devices/{x}   | 404  | 404   | 404     | 404    | 404  | 404     | 404   | 404
    off      | GET /api/printers         | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    off      | POST /api/orders/{id}/reprint | 202 | 202 | 202   | 202    | 202  | 202     | 202   | 202
    off      | POST /api/printers/{p}/test | 202 | 202  | 202     | 202    | 202  | 202     | 202   | 202
    off      | POST /api/printers/{p}/test +pin | 202 | 202 | 202 | 202   | 202  | 202     | 202   | 202
    off      | POST /api/printers/held/{job}/print | 404 | 404 | 404 | 404 | 404 | 404   | 404   | 404
    required | GET /api/orders           | 401  | 401   | 401     | 200    | 200  | 200     | 200   | 200
    required | GET /api/orders/{id}      | 401  | 401   | 401     | 200    | 200  | 200     | 200   | 200
    required | POST /api/orders          | 401  | 401   | 401     | 201    | 201  | 403     | 403   | 403
    required | POST /emit                | 401  | 401   | 401     | 201    | 201  | 403     | 403   | 403
    required | PATCH /api/orders/{id}    | 401  | 401   | 401     | 200    | 403  | 200     | 403   | 403
    required | WS connect                | wait | 401   | 401     | conn   | conn | conn    | conn  | conn
    required | WS / connect              | wait | 401   | 401     | conn   | conn | conn    | conn  | conn
    required | WS hello token            | 4001 | 4001  | 4001    | conn   | conn | conn    | conn  | conn
    required | WS new_order              | 4001 | 401   | 401     | ack    | ack  | deny    | deny  | deny
    required | WS order_update           | 4001 | 401   | 401     | ack    | deny | ack     | deny  | deny
    required | WS ack_order              | 4001 | 401   | 401     | ack    | deny | ack     | deny  | deny
    required | GET /api/status           | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /api/outlet           | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /api/master-data/{k}  | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /api/sold-out          | 401  | 401   | 401     | 200    | 200  | 200     | 200   | 200
    required | PUT /api/sold-out/{so}     | 401  | 401   | 401     | 404    | 404  | 404     | 403   | 403
    required | DELETE /api/sold-out/{so}  | 401  | 401   | 401     | 200    | 200  | 200     | 403   | 403
    required | GET / (status page)       | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /kiosk/index.html     | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /health (ops)         | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /metrics (ops)        | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /clients (ops)        | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | POST /api/pairing         | 201  | 201   | 201     | 201    | 201  | 201     | 201   | 201
    required | GET /api/pairing/{rid}    | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /api/devices          | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | GET /api/pairing          | 200  | 200   | 200     | 200    | 200  | 200     | 200   | 200
    required | POST /api/pairing/approve | 404  | 404   | 404     | 404    | 404  | 404     | 404   | 404
    required | POST /api/pairing/reject  | 404  | 404   | 404     | 404    | 404  | 404     | 404   | 404
    required | DELETE /api/devices/{x}   | 404  | 404   | 404     | 404    | 404  | 404     | 404   | 404
    required | GET /api/printers         | 401  | 401   | 401     | 200    | 200  | 200     | 200   | 200
    required | POST /api/orders/{id}/reprint | 401 | 401 | 401   | 202    | 403  | 202     | 403   | 403
    required | POST /api/printers/{p}/test | 401 | 401  | 401     | 202    | 403  | 202     | 403   | 403
    required | POST /api/printers/{p}/test +pin | 202 | 202 | 202 | 202   | 202  | 202     | 202   | 202
    required | POST /api/printers/held/{job}/print | 401 | 401 | 401 | 404 | 403 | 404   | 403   | 403
    """
    outlet = outlets[mode]
    token = outlet.tokens[caller]
    if route.startswith("WS "):
        answer = asyncio.run(_ws_answer(outlet, route, token))
    else:
        answer = _http_answer(outlet, route, token)
    assert answer == EXPECTED[(mode, route, caller)], (mode, route, caller)


# The table in the docstring above is the expectation: parsed once, then parametrized over.
EXPECTED = _matrix(test_route_by_caller_by_pairing_mode.__doc__ or "")
ROUTES = sorted({route for (_mode, route, _caller) in EXPECTED})
assert len(EXPECTED) == 2 * len(ROUTES) * len(CALLERS), "the matrix has a hole"
test_route_by_caller_by_pairing_mode = pytest.mark.parametrize("mode", ["off", "required"])(
    pytest.mark.parametrize("route", ROUTES)(
        pytest.mark.parametrize("caller", CALLERS)(test_route_by_caller_by_pairing_mode)))
