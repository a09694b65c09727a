"""Moving ticket bytes to a printer: raw TCP (port 9100) or a USB line-printer device.

Before a ticket the printer is asked DLE EOT 1 (printer status) and DLE EOT 4 (paper
sensor); after it, DLE EOT 1 once more, so "sent" means the printer was online, had
paper and was still answering after it took the bytes. USB printers (usblp) are written
to without a status query.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from urllib.parse import urlsplit

DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_PAPER = b"\x10\x04\x04"
CONNECT_TIMEOUT = 3.0
ANSWER_TIMEOUT = 2.0
# A ticket is a few kilobytes; 30 s covers a slow 9600-baud print server's buffer.
WRITE_TIMEOUT = 30.0


class PrinterUnavailable(Exception):
    """The printer did not take the bytes; `reason` is shown to the kitchen."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def status_problem(query: bytes, answer: int) -> str | None:
    """What a DLE EOT answer byte says is wrong (ESC/POS: bit 3 off-line, bits 5-6 paper end)."""
    if query == DLE_EOT_PRINTER and answer & 0x08:
        return "offline"
    if query == DLE_EOT_PAPER and answer & 0x60:
        return "out of paper"
    return None


async def _ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, query: bytes) -> None:
    writer.write(query)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.readexactly(1), ANSWER_TIMEOUT)
    except (TimeoutError, asyncio.IncompleteReadError):
        raise PrinterUnavailable("no status answer") from None
    problem = status_problem(query, answer[0])
    if problem:
        raise PrinterUnavailable(problem)


async def _send_tcp(host: str, port: int, data: bytes, status_query: bool) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise PrinterUnavailable(f"unreachable ({type(exc).__name__})") from None
    try:
        if status_query:
            await _ask(reader, writer, DLE_EOT_PRINTER)
            await _ask(reader, writer, DLE_EOT_PAPER)
        if data:
            writer.write(data)
            await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)
        if status_query:
            await _ask(reader, writer, DLE_EOT_PRINTER)
    except (OSError, TimeoutError) as exc:
        raise PrinterUnavailable(f"connection lost ({type(exc).__name__})") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


def _write_device(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


async def send(url: str, data: bytes, *, status_query: bool = True) -> None:
    """Deliver `data` (empty: only ask the status) or raise PrinterUnavailable."""
    parts = urlsplit(url)
    if parts.scheme == "tcp":
        await _send_tcp(parts.hostname or "", parts.port or 9100, data, status_query)
        return
    try:
        await asyncio.wait_for(asyncio.to_thread(_write_device, parts.path, data), WRITE_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise PrinterUnavailable(f"device error ({type(exc).__name__})") from None
