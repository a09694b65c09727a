"""A fake network ESC/POS printer: a TCP listener on 127.0.0.1 that records tickets and answers DLE EOT.

`mode` switches it between online, offline (answers "off-line" to DLE EOT 1 and drops
what it is sent) and out of paper (answers "paper end" to DLE EOT 4), as a real printer
reports itself; every connection's bytes, status queries removed, become one job.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable

# DLE EOT n status answers: 0x12 is "all fine" (bits 1 and 4 are always set).
_OK = 0x12
_OFFLINE = 0x12 | 0x08
_PAPER_END = 0x12 | 0x60
_QUERY = re.compile(rb"\x10\x04([\x01-\x04])")


class FakePrinter:
    """Listens on a free loopback port in a background thread; `jobs` holds what it printed."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.mode = "online"
        self.jobs: list[bytes] = []
        self._order: list[tuple[int, bytes]] = []
        self.queries = 0
        self._lock = threading.Lock()
        self._arrivals = 0   # paper order: when a job's first bytes arrived, not when it closed
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _answer(self, n: int) -> int:
        if self.mode == "offline" and n == 1:
            return _OFFLINE
        if self.mode == "paper_out" and n == 4:
            return _PAPER_END
        return _OK

    def _serve(self, conn: socket.socket) -> None:
        data = bytearray()
        arrived: int | None = None
        conn.settimeout(10)
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
                if arrived is None and _QUERY.sub(b"", chunk):
                    with self._lock:
                        self._arrivals += 1
                        arrived = self._arrivals
                # Answer every complete query in what arrived (status is real time on ESC/POS).
                for m in _QUERY.finditer(chunk):
                    self.queries += 1
                    try:
                        conn.sendall(bytes([self._answer(m.group(1)[0])]))
                    except OSError:
                        break
        ticket = _QUERY.sub(b"", bytes(data))
        if ticket and self.mode == "online":
            # A real printer prints bytes as they arrive; this thread may only get to run
            # after the next connection's thread under load, so place the job by arrival.
            with self._lock:
                self._order.append((arrived or self._arrivals + 1, ticket))
                self._order.sort(key=lambda pair: pair[0])
                self.jobs[:] = [job for _, job in self._order]

    def texts(self) -> list[str]:
        """Each job as readable text: ESC/POS commands stripped, QR payload kept."""
        with self._lock:
            return [ticket_text(j) for j in self.jobs]

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float,
                 what: str = "tickets") -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts()
            if predicate(texts):
                return texts
            time.sleep(0.1)
        raise TimeoutError(f"fake printer: no {what} after {timeout}s; got {self.texts()!r}")


def ticket_text(job: bytes) -> str:
    """Text lines of a ticket; `ESC ! n` with bit 4 (double height) marks the line with `^^`."""
    out: list[str] = []
    i = 0
    size = 0
    line = bytearray()
    while i < len(job):
        b = job[i]
        if b == 0x1B and i + 1 < len(job):          # ESC
            cmd = job[i + 1]
            if cmd == ord("!"):
                size = job[i + 2]
                i += 3
            elif cmd in (ord("E"), ord("a"), ord("t"), ord("d"), ord("-"), ord("M")):
                i += 3
            else:
                i += 2
        elif b == 0x1D and i + 1 < len(job):        # GS
            cmd = job[i + 1]
            if cmd == ord("(") and job[i + 2] == ord("k"):
                length = job[i + 3] + 256 * job[i + 4]
                body = job[i + 5: i + 5 + length]
                if body[:3] == b"1P0":
                    out.append("QR:" + body[3:].decode())
                i += 5 + length
            elif cmd == ord("V"):
                i += 3
            else:
                i += 3
        elif b == 0x0A:
            text = line.decode("cp437", errors="replace")
            out.append(("^^" if size & 0x10 else "") + text)
            line.clear()
            i += 1
        else:
            line.append(b)
            i += 1
    return "\n".join(out)
