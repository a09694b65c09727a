"""The wheel an operator installs: browser apps included, central's drivers only in its extra."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import ROOT, Process, free_port, wait_for_http

UI = ROOT / "ui"


def test_every_browser_app_folder_is_in_the_wheel_data_files() -> None:
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "data-files"]
    shipped = {Path(target).relative_to("share/outlet-hub/ui").parts[0] for target in data_files
               if target != "share/outlet-hub/ui"}
    apps = {p.name for p in UI.iterdir() if p.is_dir() and p.name not in ("tests", "node_modules")}
    assert apps == shipped


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(out), str(ROOT)], check=True, timeout=600,
                   capture_output=True)
    return next(out.glob("outlet_hub-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with only the wheel; dependencies come from the test venv's site-packages."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    yield venv


def installed_env(venv: Path) -> dict[str, str]:
    # PYTHONPATH entries come before site-packages but their .pth files are not run, so the
    # editable checkout stays invisible and `hub`/`central` are the wheel's.
    return {"PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "PYTHONPATH": sysconfig.get_path("purelib"), "HOME": str(venv)}


def test_every_file_the_apps_serve_is_in_the_wheel(wheel: Path) -> None:
    """Nested folders too (ui/shared/i18n): a data-files glob does not descend, and one that
    matches a folder fails the build."""
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n.split("/share/outlet-hub/ui/", 1)[1] for n in zf.namelist()
                   if "/share/outlet-hub/ui/" in n}
    served = {str(p.relative_to(UI)) for p in UI.rglob("*") if p.is_file()
              and p.relative_to(UI).parts[0] not in ("tests", "node_modules")}
    assert served - shipped == set()


def test_wheel_requires_psycopg_and_argon2_only_with_the_central_extra(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [line for line in zf.read(meta).decode().splitlines()
                    if line.startswith("Requires-Dist:")]
    for name in ("psycopg", "argon2-cffi"):
        lines = [r for r in requires if r.split()[1].startswith(name)]
        assert lines and all('extra == "central"' in r for r in lines), lines


def test_installed_wheel_finds_its_browser_apps(installed: Path, tmp_path: Path) -> None:
    code = ("import hub, hub.ui_location as u; print(hub.__file__); print(u.ui_root())")
    out = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path,
                         env=installed_env(installed), capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    assert out[0].startswith(str(installed)), out
    ui_root = Path(out[1])
    assert ui_root.is_relative_to(installed)
    for page in ("admin/index.html", "kitchen/index.html", "kiosk/index.html", "sw.js"):
        assert (ui_root / page).read_bytes() == (UI / page).read_bytes()
    assert not (ui_root / "tests").exists()


def test_installed_central_serves_the_admin_panel_without_ui_dir(installed: Path,
                                                                 tmp_path: Path) -> None:
    port = free_port()
    env = installed_env(installed) | {
        "CENTRAL_PORT": str(port), "CENTRAL_BIND": "127.0.0.1",
        "CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'central.db'}"}
    assert "CENTRAL_UI_DIR" not in env and "CENTRAL_UI_DIR" not in os.environ
    proc = Process("central-from-wheel", [str(installed / "bin" / "outlet-central"), "run"],
                   env, tmp_path, cwd=tmp_path)
    proc.start()
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/", timeout=10) as resp:
            assert resp.read() == (UI / "admin" / "index.html").read_bytes()
    finally:
        proc.kill()


def test_every_central_setting_is_in_the_readme_table() -> None:
    used = set()
    for path in (ROOT / "central").rglob("*.py"):
        used |= set(re.findall(r"CENTRAL_[A-Z_]+", path.read_text()))
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(CENTRAL_[A-Z_]+)` \|", readme, re.MULTILINE))
    assert used == documented
