"""Issue 14 item 1 in real Chromium: every word on the kiosk, kitchen, board and status page
comes from the message catalogs, in the outlet's language (id-ID by default, en-US when the
hub says so), money reads the outlet's way (Rp 45.000), a screen switches language from its
menu and keeps it, and an admin's locale change at central reaches the outlet's kiosk.
Screenshots of both languages go to docs/screenshots/l10n-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.faults import eventually
from tests.support.processes import ROOT, Hub, http_json
from tests.ui.menu_fixture import CATEGORIES, PRODUCTS, PROMOTIONS, TENANTS
from tests.ui.pages import add, open_kitchen
from tests.ui.test_with_central import ADMIN, enrolled_hub

SCREENSHOTS = ROOT / "docs" / "screenshots"
# Menu data a screen shows as it is (names are the outlet's, not ours to translate).
DATA = {x["name"] for x in TENANTS + CATEGORIES + PRODUCTS + PROMOTIONS}
DATA |= {str(m) for p in PRODUCTS for m in p.get("modifiers", [])}
DATA |= {x["name"] for p in PRODUCTS for g in p.get("modifier_groups", []) for x in [g, *g["options"]]}
DATA |= {"".join(w[0] for w in p["name"].split()[:2]).upper() for p in PRODUCTS}  # tile initials
# Marks that are no language: the logo dot, ✕, the printer, minus/plus, arrows.
SYMBOLS = {"●", "⚙", "✕", "🖨", "\u2212", "+", "—", "·", "…"}
# Numbers, times, counts, money and order numbers: digits with separators and a currency
# (en-US clock times end in AM/PM: the kitchen's clock once it has ticked).
FIGURES = re.compile(r"^(Rp|IDR|\$)?[\s\d.,:\u00d7x+#%/\-]*\d[\s\d.,:\u00d7x+#%/\-]*(\s?[AP]M)?$")
# Ids, URLs and versions (no spaces, with a digit or a separator): data, never prose.
TOKENS = re.compile(r"^\S*[\d/:_-]\S*$")

# Every visible text node (trimmed) and every placeholder/title/aria-label on the page, but
# the language menu: it names each language in that language ("Bahasa Indonesia", "English").
VISIBLE_TEXT_JS = """() => {
  const out = [];
  const shown = (el) => el && !el.closest('[data-testid=language]')
    && el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue.trim();
    const el = n.parentElement;
    if (!text || !shown(el) || el.closest('script,style')) continue;
    if (el.closest('option') && !el.closest('option').selected) continue;
    out.push(text);
  }
  for (const el of document.body.querySelectorAll('[placeholder],[title],[aria-label]')) {
    if (!shown(el)) continue;
    for (const a of ['placeholder', 'title', 'aria-label']) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a).trim());
    }
  }
  return out;
}"""


def catalog_patterns(page: Any) -> dict[str, list[re.Pattern[str]]]:
    """Each catalog's texts as full-match patterns ({name} stands for any filled-in value)."""
    catalogs: dict[str, dict[str, Any]] = page.evaluate(
        "async () => (await import('/shared/i18n.js')).CATALOGS")
    out: dict[str, list[re.Pattern[str]]] = {}
    for lang, entries in catalogs.items():
        texts = [t for v in entries.values() for t in (v.values() if isinstance(v, dict) else [v])]
        out[lang] = [re.compile("^" + re.sub(r"\\\{\w+\\\}", ".+?", re.escape(t)) + "$", re.S)
                     for t in texts]
    return out


def pieces(text: str) -> list[str]:
    """A text node joins catalog words, data and figures with " · ", ", ", " / " or " — "."""
    return [p.strip() for p in re.split(r" · | — | / |, ", text) if p.strip()]


def is_data(piece: str, extra: set[str]) -> bool:
    return (piece in DATA or piece in extra or piece in SYMBOLS or bool(FIGURES.match(piece))
            or bool(TOKENS.match(piece)))


def check_page(page: Any, lang: str, extra: set[str] | None = None) -> None:
    """Fail on a shown string that is in no catalog (hard-coded) or only in the other language."""
    patterns = catalog_patterns(page)
    other = "en" if lang == "id" else "id"
    strange: list[str] = []
    wrong: list[str] = []
    shown = page.evaluate(VISIBLE_TEXT_JS)
    for text in shown:
        ours = any(p.match(text) for p in patterns[lang])
        if ours:
            continue
        for piece in pieces(text):
            if is_data(piece, extra or set()) or any(p.match(piece) for p in patterns[lang]):
                continue
            if any(p.match(piece) for p in patterns[other]):
                wrong.append(piece)
            else:
                strange.append(piece)
    assert not wrong, f"{page.url}: {other} words on a {lang} screen: {wrong}"
    assert not strange, f"{page.url}: strings in no catalog (hard-coded?): {strange}"
    # A Debian kiosk's Chromium has no emoji font: a character outside the Basic
    # Multilingual Plane (emoji live there) would show as an empty box.
    boxes = sorted({c for text in shown for c in text if ord(c) > 0xFFFF})
    assert not boxes, f"{page.url}: characters that need an emoji font: {boxes}"


def money(page: Any, product_id: int) -> str:
    text: str = page.inner_text(f'[data-testid="product"][data-product-id="{product_id}"] .price')
    return text.replace("\u00a0", " ")


def task_names(status: Any) -> set[str]:
    """The hub's background task names: the status page lists them as they are (for IT)."""
    names: list[str] = status.evaluate(
        "async () => (await (await fetch('/api/status')).json()).tasks.map((t) => t.name)")
    return set(names)


# The keys sheet's <kbd> caps (ui/kitchen/kitchen-keys.js KEY_ROWS): printed on the keys,
# the same in every language.
KEY_CAPS = {"← → ↑ ↓", "1 … 9", "Home", "End", "Enter", "R", "?", "Esc"}


# Nothing on the kitchen screen may be cut off or broken over two lines at 1280 px, the
# longest language included: a reprint button past the card's edge cannot be pressed.
CUT_OFF = """() => {
  const bad = [];
  for (const t of document.querySelectorAll('[data-testid=ticket]')) {
    const box = t.getBoundingClientRect();
    for (const el of t.querySelectorAll('button, .num, .timer')) {
      const r = el.getBoundingClientRect();
      const out = r.right > box.right + 0.5 || r.left < box.left - 0.5;
      if (out) bad.push(`ticket: ${el.dataset.testid || el.className}`);
    }
  }
  for (const b of document.querySelectorAll('.kbar button')) {
    if (b.offsetParent === null) continue;
    const cs = getComputedStyle(b);
    const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.25;
    const text = b.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    const range = document.createRange(); range.selectNodeContents(b);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    if (lines > 1 || b.scrollWidth > b.clientWidth + 1) {
      bad.push(`header: ${b.textContent.trim()} (${lines} lines, ${text}px for ${line}px)`);
    }
  }
  return bad;
}"""


def walk_all_screens(new_page: Callable[..., Any], hub: Hub, lang: str, shots: str) -> dict[str, Any]:
    """Order on the kiosk, start it in the kitchen, and check every screen on the way."""
    kiosk = new_page(f"{hub.base}/kiosk/", lang=None)
    kiosk.wait_for_selector('[data-testid="product"]')
    kiosk.wait_for_function("document.querySelector('[data-testid=status-bar]').dataset.mode === 'online'")
    add(kiosk, "Pepperoni", 2)
    add(kiosk, "Laksa")
    kiosk.fill('[data-testid="table"]', "12")
    check_page(kiosk, lang)
    # The options sheet: its hints and buttons from the catalog, the delta as the outlet's money.
    kiosk.click('[data-testid="product"][data-name="Quattro Formaggi"]')
    chip = kiosk.inner_text('[data-testid="option"][data-option="Thick"]')
    assert chip.replace("\u00a0", " ") == ("Thick +Rp 5.000" if lang == "id" else "Thick +Rp 5,000")
    check_page(kiosk, lang, {chip})
    kiosk.click('[data-testid="options-sheet"] button.ghost')
    kiosk.wait_for_selector('[data-testid="options-sheet"]', state="detached")
    kiosk.screenshot(path=str(SCREENSHOTS / f"l10n-kiosk-{shots}.png"))
    kiosk.click('[data-testid="checkout"]')
    kiosk.wait_for_selector('[data-testid="receipt-row"][data-state="sent"]')
    number = kiosk.inner_text('[data-testid="receipt-row"] .num')
    check_page(kiosk, lang, {number})

    kitchen = open_kitchen(new_page, hub, lang=None)
    kitchen.wait_for_selector(f'[data-testid="ticket"][data-number="{number}"]')
    kitchen.click('[data-testid="allday-toggle"]')
    check_page(kitchen, lang, {number})
    assert kitchen.viewport_size["width"] == 1280
    assert kitchen.evaluate(CUT_OFF) == [], "cut off or wrapped on the kitchen screen"
    kitchen.screenshot(path=str(SCREENSHOTS / f"l10n-kitchen-{shots}.png"))
    # The keys sheet and the sold-out panel (merged from main) speak the same language.
    kitchen.click('[data-testid="keys-help"]')
    kitchen.wait_for_selector('[data-testid="keys-sheet"]')
    check_page(kitchen, lang, {number, *KEY_CAPS})
    kitchen.keyboard.press("Escape")
    kitchen.wait_for_selector('[data-testid="keys-sheet"]', state="detached")
    kitchen.click('[data-testid="soldout-toggle"]')
    kitchen.wait_for_selector('[data-testid="kitchen-sold-out"]')
    check_page(kitchen, lang, {number})
    kitchen.click('[data-testid="soldout-toggle"]')
    kitchen.click(f'[data-testid="ticket"][data-number="{number}"] [data-testid="action-start"]')
    kitchen.wait_for_selector(f'[data-testid="ticket"][data-number="{number}"][data-status="preparing"]')
    check_page(kitchen, lang, {number})

    board = new_page(f"{hub.base}/board/", lang=None)
    board.wait_for_selector(f'[data-testid="board-number"][data-number="{number}"]')
    check_page(board, lang, {number})
    board.screenshot(path=str(SCREENSHOTS / f"l10n-board-{shots}.png"))

    status = new_page(f"{hub.base}/", lang=None)
    status.wait_for_selector('[data-testid="status-language-money"]')
    status.wait_for_function("document.querySelector('#foot').textContent !== ''")
    check_page(status, lang, task_names(status))
    status.screenshot(path=str(SCREENSHOTS / f"l10n-status-{shots}.png"), full_page=True)
    return {"kiosk": kiosk, "kitchen": kitchen, "board": board, "status": status}


@pytest.fixture
def shots_dir() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def test_indonesian_outlet_shows_only_indonesian_and_rupiah_then_switches_to_english(
        menu_hub: Callable[..., Hub], new_page: Callable[..., Any], shots_dir: None) -> None:
    hub = menu_hub()  # no locale set: the outlet default, id-ID and IDR
    screens = walk_all_screens(new_page, hub, "id", "id")
    kiosk = screens["kiosk"]
    assert kiosk.evaluate("document.documentElement.lang") == "id-ID"
    assert money(kiosk, 1) == "Rp 45.000"
    assert kiosk.inner_text('[data-testid="checkout"]') == "Pesan sekarang"
    assert (screens["board"].text_content("h2 >> nth=1") or "").startswith("Siap")

    kiosk.select_option('[data-testid="language"]', "en")
    kiosk.wait_for_function("document.documentElement.lang === 'en-ID'")
    assert kiosk.inner_text('[data-testid="checkout"]') == "Place order"
    assert money(kiosk, 1) == "Rp 45.000"  # English words, the outlet's own digits
    check_page(kiosk, "en")
    kiosk.reload()
    kiosk.wait_for_selector('[data-testid="product"]')
    assert kiosk.inner_text('[data-testid="checkout"]') == "Place order"  # remembered
    kiosk.screenshot(path=str(SCREENSHOTS / "l10n-kiosk-switched-en.png"))

    kitchen = screens["kitchen"]
    kitchen.select_option('[data-testid="language"]', "en")
    kitchen.wait_for_selector('[data-testid="ticket"] [data-testid="action-ready"]:text("Ready")')
    check_page(kitchen, "en")
    status = screens["status"]
    status.select_option('[data-testid="language"]', "en")
    status.wait_for_selector('h2:text("Connections")')
    check_page(status, "en", task_names(status))


def test_english_outlet_shows_english_everywhere(
        menu_hub: Callable[..., Hub], new_page: Callable[..., Any], shots_dir: None) -> None:
    hub = menu_hub(env={"HUB_LOCALE": "en-US"})
    screens = walk_all_screens(new_page, hub, "en", "en")
    kiosk = screens["kiosk"]
    assert kiosk.evaluate("document.documentElement.lang") == "en-US"
    assert money(kiosk, 1) == "Rp 45,000"
    assert kiosk.inner_text('[data-testid="checkout"]') == "Place order"


def test_admin_sets_the_outlet_to_english_in_the_panel_and_its_kiosk_follows(
        central_factory: Callable[..., Any], hub_factory: Callable[..., Hub],
        new_page: Callable[..., Any]) -> None:
    central = central_factory()
    hub = enrolled_hub(hub_factory, central)
    kiosk = new_page(f"{hub.base}/kiosk/", lang=None)
    kiosk.wait_for_selector('[data-testid="product"]')
    assert kiosk.inner_text('[data-testid="checkout"]') == "Pesan sekarang"
    price = kiosk.inner_text('[data-testid="product"] .price >> nth=0').replace("\u00a0", " ")
    assert re.fullmatch(r"Rp \d{1,3}(\.\d{3})+", price), price

    # An Indonesian HQ browser gets the panel in Indonesian; the admin sets the outlet to en-US.
    admin = new_page(f"{central.base}/admin/", width=1440, height=900, lang=None, locale="id-ID")
    assert admin.inner_text('[data-testid="login"]') == "Masuk"
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    row = admin.locator('[data-testid="outlet-row"][data-outlet-id="1"]')
    assert row.locator('[data-testid="outlet-locale"]').inner_text() == "id-ID · IDR"
    row.locator('[data-testid="edit-locale"]').click()
    admin.select_option('[data-testid="outlet-locale-input"]', "en-US")
    admin.click('[data-testid="save-locale"]')
    admin.wait_for_selector('[data-outlet-id="1"] [data-testid="outlet-locale"]:text("en-US · IDR")')

    # The hub learns it from its next heartbeat (every 1 s here).
    eventually(lambda: http_json(f"{hub.base}/api/outlet")[1]["locale"] == "en-US",
               "the hub following central's outlet locale")
    kiosk.reload()
    kiosk.wait_for_selector('[data-testid="product"]')
    assert kiosk.inner_text('[data-testid="checkout"]') == "Place order"
    price = kiosk.inner_text('[data-testid="product"] .price >> nth=0').replace("\u00a0", " ")
    assert re.fullmatch(r"Rp \d{1,3}(,\d{3})+", price), price
