"""Screenshots of every browser screen in a realistic state, for the README.

Starts a real central (demo food court) and a real hub enrolled with it, places orders the
way kiosks and cooks would, and photographs each screen with Debian's Chromium:

    .venv/bin/python -m scripts.screenshots            # writes docs/screenshots/*.png
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT, Central, Hub, http_json

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def wait(cond: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def order(
    hub: Any,
    products: dict[str, dict[str, Any]],
    tenants: dict[int, str],
    number: str,
    lines: list[tuple[str, int, list[str], str]],
    minutes_ago: float,
    **extra: Any,
) -> str:
    items = [
        {
            "product_id": products[n]["id"],
            "name": n,
            "qty": q,
            "price": products[n]["price"],
            "modifiers": mods,
            "notes": note,
            "station": products[n].get("station"),
        }
        for n, q, mods, note in lines
    ]
    tid = products[lines[0][0]]["tenant_id"]
    created = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    total = sum(int(float(products[n]["price"])) * q for n, q, _, _ in lines)
    body = {
        "uuid": str(uuid.uuid4()),
        "order_number": number,
        "outlet_id": 1,
        "tenant_id": tid,
        "tenant_name": tenants[tid],
        "status": "pending",
        "items": items,
        "total_amount": str(total),
        "order_type": "dine_in",
        "table": "",
        "source": "pos",
        "created_at": created,
        **extra,
    }
    status, ack = http_json(f"{hub.base}/api/orders", "POST", body)
    if status not in (200, 201):
        raise SystemExit(f"order refused: {ack}")
    return str(body["uuid"])


def set_status(hub: Any, uid: str, *statuses: str) -> None:
    for s in statuses:
        http_json(f"{hub.base}/api/orders/{uid}", "PATCH", {"status": s})


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="outlet-shots-"))
    central = Central(work / "central")
    central.cli("migrate")
    central.cli("seed-demo")
    central.start()
    _, login = http_json(
        f"{central.base}/api/auth/login", "POST", {"username": "demo", "password": "demo-password-change-me"}
    )
    auth = {"Authorization": f"Bearer {login['token']}"}
    # A second outlet still waiting for its hub, and an afternoon promotion on drinks.
    http_json(
        f"{central.base}/api/tenants/outlets/",
        "POST",
        {"name": "Malioboro Mall", "address": "Jl. Malioboro No.52"},
        auth,
    )
    _, stalls = http_json(f"{central.base}/api/tenants/", headers=auth)
    stalls = stalls if isinstance(stalls, list) else stalls.get("tenants") or stalls.get("results") or []
    drinks = next(t["id"] for t in stalls if t["name"] == "Es Teh Corner")
    st, promo = http_json(
        f"{central.base}/api/promotions/",
        "POST",
        {"name": "Happy hour -20%", "discount_percent": "20", "tenant_id": drinks},
        auth,
    )
    if st not in (200, 201):
        print(f"promotion not created: {promo}", file=sys.stderr)
    token = central.cli("enroll", "--outlet", "1").strip().splitlines()[-1]
    hub = Hub(
        work,
        env={
            "HUB_UI_DIR": str(ROOT / "ui"),
            "HUB_CENTRAL_URL": central.base,
            "HUB_ENROLLMENT_TOKEN": token,
            "HUB_HEARTBEAT_SECONDS": "2",
            "HUB_OUTLET_NAME": "Yogya Food Court",
            "HUB_ID": "hub-yogya-01",
        },
    )
    hub.start()
    try:
        body = wait(
            lambda: (lambda r: r[1] if r[0] == 200 and r[1].get("products") else None)(
                http_json(f"{hub.base}/api/master-data/products")
            ),
            "menu on the hub",
        )
        products = {p["name"]: p for p in body["products"]}
        tenants = {t["id"]: t["name"] for t in http_json(f"{hub.base}/api/master-data/tenants")[1]["tenants"]}
        # A lunch rush: some new, some cooking, some ready, one late.
        u = {}
        u[1] = order(
            hub,
            products,
            tenants,
            "K7QX-0041",
            [("Margherita", 2, ["extra cheese"], ""), ("Caesar Salad", 1, [], "dressing on the side")],
            12.5,
            table="12",
        )
        u[2] = order(
            hub,
            products,
            tenants,
            "K7QX-0042",
            [("Nasi Goreng", 1, ["extra egg", "spicy"], ""), ("Sate Ayam", 2, [], "")],
            7.2,
            order_type="takeaway",
        )
        u[3] = order(
            hub,
            products,
            tenants,
            "KPOS-0107",
            [("Pepperoni", 1, [], "cut in 8"), ("Quattro Formaggi", 1, [], "")],
            3.1,
            table="4",
            customer_name="Ayu",
        )
        u[4] = order(
            hub,
            products,
            tenants,
            "K7QX-0043",
            [("Mie Goreng", 2, ["no shrimp"], ""), ("Gudeg Yogya", 1, [], "")],
            1.4,
            table="7",
        )
        u[5] = order(
            hub,
            products,
            tenants,
            "K9MB-0018",
            [("Es Teh Manis", 3, ["less sugar"], ""), ("Kopi Susu", 1, [], "")],
            0.4,
        )
        u[6] = order(
            hub,
            products,
            tenants,
            "KPOS-0108",
            [("Margherita", 1, [], "")],
            0.2,
            order_type="takeaway",
            customer_name="Budi",
        )
        u[7] = order(hub, products, tenants, "K7QX-0039", [("Sate Ayam", 1, [], "")], 15)
        u[8] = order(hub, products, tenants, "K9MB-0015", [("Es Jeruk", 2, [], "")], 9)
        set_status(hub, u[2], "preparing")
        set_status(hub, u[3], "preparing")
        set_status(hub, u[7], "preparing", "ready")
        set_status(hub, u[8], "preparing", "ready")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            def page(w: int, h: int) -> Any:
                ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1)
                return ctx.new_page()

            k = page(1280, 800)
            k.goto(f"{hub.base}/kitchen/")
            k.wait_for_selector('[data-testid="ticket"]')
            k.wait_for_function("document.querySelector('[data-testid=connection]').dataset.mode === 'live'")
            k.click('[data-testid="allday-toggle"]')
            k.mouse.click(5, 790)  # a first tap: turns the sound on and hides the hint
            time.sleep(1.2)
            k.screenshot(path=str(OUT / "kitchen.png"))

            tv = page(1920, 1080)  # the same screen on a wall TV, read from two metres
            tv.goto(f"{hub.base}/kitchen/")
            tv.wait_for_selector('[data-testid="ticket"]')
            tv.mouse.click(5, 1070)
            time.sleep(1.2)
            tv.screenshot(path=str(OUT / "kitchen-1080p.png"))

            b = page(1280, 720)
            b.goto(f"{hub.base}/board/")
            b.wait_for_selector('[data-testid="board-number"]')
            time.sleep(1)
            b.screenshot(path=str(OUT / "board.png"))

            kiosk = page(1280, 800)
            kiosk.goto(f"{hub.base}/kiosk/")
            kiosk.wait_for_selector('[data-testid="product"]')
            kiosk.wait_for_function(
                "document.querySelector('[data-testid=status-bar]').dataset.mode === 'online'", timeout=30000
            )
            for name in ("Pepperoni", "Pepperoni", "Sate Ayam", "Es Teh Manis", "Es Teh Manis"):
                kiosk.click(f'[data-testid="product"][data-name="{name}"]')
            kiosk.fill('[data-testid="table"]', "12")
            time.sleep(0.5)
            kiosk.screenshot(path=str(OUT / "kiosk.png"))

            s = page(1280, 800)
            s.goto(f"{hub.base}/")
            s.wait_for_selector(".card")
            time.sleep(2.5)
            s.screenshot(path=str(OUT / "status.png"), full_page=True)

            a = page(1440, 900)
            a.goto(f"{central.base}/admin/")
            a.fill('[data-testid="username"]', "demo")
            a.fill('[data-testid="password"]', "demo-password-change-me")
            a.click('[data-testid="login"]')
            a.wait_for_selector('[data-testid="websocket-url"]', timeout=30000)
            time.sleep(0.5)
            a.screenshot(path=str(OUT / "admin.png"))
            browser.close()
    finally:
        hub.kill()
        central.kill()
    for f in sorted(OUT.glob("*.png")):
        print(f.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
