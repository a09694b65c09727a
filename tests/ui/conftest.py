"""End-to-end fixtures: real headless Chromium (Debian's) against real hub processes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT, Hub
from tests.ui.menu_fixture import seed_menu

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
UI_DIR = str(ROOT / "ui")

# Generous: the machine is shared; these bound waits, they do not time anything.
WAIT_MS = 15000


def screen_language(lang: str) -> str:
    """An init script: the screen's own language choice (ui/shared/i18n.js), as if picked
    from its menu, unless the page switched since (a reload keeps the page's choice)."""
    return ("try { if (!localStorage.getItem('outlet-hub.lang')) "
            f"localStorage.setItem('outlet-hub.lang', {lang!r}); }} catch (e) {{}}")


# Module scope, not session: the sync Playwright API keeps an event loop running in this
# thread while the browser lives, which would break async tests collected after tests/ui.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make deps` installs Debian's chromium")

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Pages in their own contexts (own IndexedDB/localStorage = own device), closed after the test."""
    contexts: list[Any] = []

    def make(url: str | None = None, width: int = 1280, height: int = 800, lang: str | None = "en",
             **ctx_kwargs: Any) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": height}, **ctx_kwargs)
        contexts.append(ctx)
        if lang:
            # Most tests read English words; lang=None follows the outlet's locale (id-ID).
            ctx.add_init_script(screen_language(lang))
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and "WebSocket" not in m.text
                and "ERR_CONNECTION_REFUSED" not in m.text
                and print(f"[console] {m.text}")
            ),
        )
        if url:
            page.goto(url)
        return page

    yield make
    for c in contexts:
        c.close()


@pytest.fixture
def menu_hub(hub_factory: Callable[..., Hub]) -> Callable[..., Hub]:
    """A real hub serving ui/ with the test menu in its cache (started, stopped, seeded, restarted)."""

    def make(**kwargs: Any) -> Hub:
        env = {"HUB_UI_DIR": UI_DIR, **kwargs.pop("env", {})}
        hub = hub_factory(env=env, **kwargs)
        hub.terminate()
        seed_menu(hub.data_dir / "hub.sqlite3")
        hub.start()
        return hub

    return make


@pytest.fixture
def central_factory(tmp_path: Path, procs: list[Any]) -> Callable[..., Any]:
    """A real central on a free port with the demo food court and its admin; killed after the test."""
    from tests.support.processes import Central

    def make(**env: str) -> Any:
        central = Central(tmp_path / "central", env=env)
        procs.append(central)
        central.cli("migrate")
        central.cli("seed-demo")
        central.start()
        return central

    return make


def enroll_token(central: Any, outlet_id: int = 1) -> str:
    return str(central.cli("enroll", "--outlet", str(outlet_id)).strip().splitlines()[-1])


ADMIN = ("demo", "demo-password-change-me")  # central.demo's admin


def admin_signed_in(new_page: Callable[..., Any], central: Any) -> Any:
    """The central admin panel in a wide page, signed in as the demo admin, outlets shown."""
    admin = new_page(f"{central.base}/admin/", width=1440, height=900)
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    admin.wait_for_selector('[data-testid="outlet-row"]')
    return admin
