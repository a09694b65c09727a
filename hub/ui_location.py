"""Where the browser apps live: the source tree, a PyInstaller bundle, or a wheel's data files."""

from __future__ import annotations

import sysconfig
from pathlib import Path

# pyproject.toml's [tool.setuptools.data-files] installs ui/ here, under the environment's prefix.
WHEEL_UI = Path("share") / "outlet-hub" / "ui"


def ui_root() -> Path:
    """ui/ beside the packages when it is there (checkout, bundle), else the installed copy."""
    beside = Path(__file__).resolve().parents[1] / "ui"
    if beside.is_dir():
        return beside
    return Path(sysconfig.get_path("data")) / WHEEL_UI
