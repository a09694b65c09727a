"""ESC/POS bytes for a ticket (sans-I/O: python-escpos's Dummy printer only collects bytes).

Kitchen tickets are read at arm's length in steam: the order number is double height and
width, item lines, modifiers and notes double height; a QR carries the order uuid so a
scanner at the pass can find the order.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from hub.printing.config import PrinterConfig
from hub.printing.policy import items_for
from outlet_protocol.locales import language_of

if TYPE_CHECKING:
    from escpos.printer import Dummy

# The ticket's words per catalog language; the outlet's locale (id-ID, en-US) picks one.
CATALOG: dict[str, dict[str, str]] = {
    "id": {"kitchen": "PESANAN BARU", "ready": "SIAP DIAMBIL", "cancelled": "DIBATALKAN",
           "test": "TES PRINTER", "order": "No.", "backup": "BACKUP untuk printer {name}",
           "reprint": "CETAK ULANG", "note": "Catatan", "dine_in": "Makan di tempat",
           "takeaway": "Bawa pulang", "delivery": "Antar", "table": "Meja",
           "customer": "Nama", "stall": "Tenant", "printer": "Printer"},
    "en": {"kitchen": "NEW ORDER", "ready": "READY FOR PICKUP", "cancelled": "CANCELLED",
           "test": "PRINTER TEST", "order": "No.", "backup": "BACKUP for printer {name}",
           "reprint": "REPRINT", "note": "Note", "dine_in": "Dine in",
           "takeaway": "Takeaway", "delivery": "Delivery", "table": "Table",
           "customer": "Name", "stall": "Stall", "printer": "Printer"},
}


def words(locale: str) -> dict[str, str]:
    """The words for an outlet locale (`id-ID`, `en-US`, or a bare `id`/`en`)."""
    return CATALOG[language_of(locale)]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "~"


def _byte_collector() -> Dummy:
    """python-escpos's Dummy printer, imported on the first ticket: loading its printer
    capability database costs ~130 ms, a quarter of the hub's start, on every hub with or
    without a printer."""
    from escpos.printer import Dummy

    return Dummy()


def render_ticket(kind: str, order: dict[str, Any], printer: PrinterConfig, *, locale: str,
                  printed_at: datetime, zone: tzinfo | None, backup_for: str = "",
                  reprint: bool = False) -> bytes:
    """The whole ticket, initialise to cut, for `printer`'s paper width."""
    w = words(locale)
    cols = printer.columns
    p = _byte_collector()
    p.hw("INIT")
    if backup_for:
        p.set(align="center", bold=True, invert=True, double_height=True)
        p.text(_clip(w["backup"].format(name=backup_for), cols) + "\n")
    if reprint:
        p.set(align="center", bold=True, double_height=True)
        p.text(w["reprint"] + "\n")
    p.set(align="center", bold=True, invert=False, normal_textsize=True)
    p.text(w[kind] + "\n")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text(_clip(f"{w['order']} {order.get('order_number', '')}", cols // 2) + "\n")
    p.set(align="left", normal_textsize=True)
    details = [w.get(str(order.get("order_type")), "")]
    if order.get("table_number"):
        details.append(f"{w['table']} {order['table_number']}")
    if order.get("customer_name"):
        details.append(f"{w['customer']}: {order['customer_name']}")
    if order.get("tenant_id") is not None:
        details.append(f"{w['stall']} {order['tenant_id']}")
    p.text(_clip(" | ".join(d for d in details if d), cols) + "\n")
    p.text("-" * cols + "\n")
    if kind == "kitchen":
        for item in items_for(order, printer):
            p.set(align="left", bold=True, double_height=True)
            p.text(_clip(f"{item.get('qty', 1)}x {item.get('name', '')}", cols) + "\n")
            p.set(align="left", bold=False, double_height=True)
            for mod in item.get("modifiers") or []:
                p.text(_clip(f"  + {mod}", cols) + "\n")
            if item.get("notes"):
                p.set(align="left", bold=True, double_height=True)
                p.text(_clip(f"  ! {item['notes']}", cols) + "\n")
        if order.get("notes"):
            p.set(align="left", bold=True, double_height=True)
            p.text(_clip(f"{w['note']}: {order['notes']}", cols * 2) + "\n")
        p.set(align="left", normal_textsize=True)
        p.text("-" * cols + "\n")
    p.set(align="center", normal_textsize=True)
    p.qr(str(order.get("uuid", "")), native=True, size=6 if printer.width_mm == 80 else 4)
    p.text(printed_at.astimezone(zone).strftime("%d-%m-%Y %H:%M") + "\n")
    p.cut()
    return bytes(p.output)


def render_test_page(printer: PrinterConfig, *, locale: str, printed_at: datetime,
                     zone: tzinfo | None) -> bytes:
    """What the status page's test button prints: name, width and a ruler to check the paper."""
    w = words(locale)
    p = _byte_collector()
    p.hw("INIT")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text(w["test"] + "\n")
    p.set(align="left", normal_textsize=True)
    p.text(f"{w['printer']}: {printer.name} ({printer.width_mm} mm)\n")
    p.text(("1234567890" * 5)[: printer.columns] + "\n")
    p.text(printed_at.astimezone(zone).strftime("%d-%m-%Y %H:%M:%S") + "\n")
    p.cut()
    return bytes(p.output)
