"""The WebSocket envelope: `{"type", "payload", "id"?, "timestamp"?}` in both directions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

from outlet_protocol.errors import ProtocolError

MAX_ID_LEN = 100


@dataclass(frozen=True)
class Envelope:
    """One parsed client message."""

    type: str
    payload: Any
    id: str | None


def parse(text: str) -> Envelope:
    """Parse a client frame, or raise ProtocolError(invalid_json | invalid_message).

    Seed clients sometimes put fields beside `type` instead of in `payload`; those fields
    are used as the payload so their `{type: "new_order", order: …}` keeps working.
    """
    try:
        # orjson (C) parses a frame several times faster than `json`; the few inputs it
        # refuses that `json` takes (NaN, Infinity, integers beyond 64 bits) go to `json`,
        # so what counts as valid JSON on the wire has not changed.
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise ProtocolError("invalid_json", "message is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_message", "message must be a JSON object", "type")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind or len(kind) > 64:
        raise ProtocolError("invalid_message", "message needs a string `type`", "type")
    msg_id = data.get("id")
    if msg_id is not None:
        if isinstance(msg_id, bool) or not isinstance(msg_id, str | int):
            raise ProtocolError("invalid_message", "`id` must be a string", "id")
        msg_id = str(msg_id)[:MAX_ID_LEN]
    if "payload" in data:
        payload = data["payload"]
    else:
        payload = {k: v for k, v in data.items() if k not in ("type", "id", "timestamp")}
    return Envelope(kind, payload, msg_id)


def build(kind: str, payload: Any, *, ref: str | None = None,
          timestamp: str | None = None, **extra: Any) -> dict[str, Any]:
    """An outgoing envelope; `ref` answers the client message that carried that `id`."""
    out: dict[str, Any] = {"type": kind, "payload": payload}
    if ref is not None:
        out["ref"] = ref
    if timestamp is not None:
        out["timestamp"] = timestamp
    out.update(extra)
    return out


def dumps(message: dict[str, Any]) -> str:
    """Compact JSON, the one serialisation used for every frame."""
    return dumps_bytes(message).decode()


def dumps_bytes(message: dict[str, Any]) -> bytes:
    """`dumps` as UTF-8 bytes, what a frame carries: no str round trip on the hot path.

    orjson writes the same compact, non-ASCII-escaping JSON as `json.dumps(separators=
    (",", ":"), ensure_ascii=False)`; what it refuses (non-str keys, integers beyond 64
    bits, NaN) is rare and goes through `json` as before.
    """
    try:
        return orjson.dumps(message)
    except TypeError:
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
