"""A real hub with the test menu, shared by every test of one module (started once)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import Hub
from tests.ui.conftest import UI_DIR
from tests.ui.menu_fixture import seed_menu


@contextmanager
def module_menu_hub(workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[Hub]:
    """Started, stopped, seeded with the menu, started again; killed when the block ends."""
    hub = Hub(workdir, env={"HUB_UI_DIR": UI_DIR, **dict(env or {})})
    hub.start()
    try:
        hub.terminate()
        seed_menu(hub.data_dir / "hub.sqlite3")
        hub.start()
        yield hub
    finally:
        hub.kill()
