"""The roles' backup timers (outlet_central, outlet_hub) as rendered pass systemd-analyze verify.

Molecule checks the same units inside its chroot; this renders them from the role
templates with this checkout's virtualenv as the install path (so ExecStart exists) and
runs the host's systemd-analyze: seconds instead of a converge.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import ROOT, missing_prerequisite
from tests.support.role_templates import render_role_template

VENV = str(Path(ROOT / ".venv").resolve())


def render(tmp: Path, role: str, unit: str, **over: object) -> dict[str, str]:
    text = {ext: render_role_template(role, f"{unit}.{ext}.j2", **over)
            for ext in ("service", "timer")}
    for ext, body in text.items():
        (tmp / f"{unit}.{ext}").write_text(body)
    return text


def verify(tmp: Path, unit: str) -> None:
    if shutil.which("systemd-analyze") is None:
        # `make test` installs it (mk/provisioning.mk); only a bare pytest elsewhere skips.
        missing_prerequisite("systemd-analyze is not installed (apt: systemd, `make deps`)")
    done = subprocess.run(["systemd-analyze", "verify", f"./{unit}.service", f"./{unit}.timer"],
                          cwd=tmp, capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and only warns: any output is a finding.
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), \
        done.stderr + done.stdout


def test_central_backup_timer_verifies_and_runs_outlet_central_backup(tmp_path: Path) -> None:
    units = render(tmp_path, "outlet_central", "outlet-central-backup", outlet_central_venv=VENV)
    verify(tmp_path, "outlet-central-backup")
    assert (f"ExecStart={VENV}/bin/outlet-central backup --dest /var/backups/outlet-central "
            "--keep 14") in units["service"]
    assert "Persistent=true" in units["timer"] and "OnCalendar=*-*-* 03:30:00" in units["timer"]


@pytest.mark.parametrize("central_url,upload", [("", False), ("https://hq.example", True)])
def test_hub_backup_timer_verifies_and_uploads_only_with_a_central(
        tmp_path: Path, central_url: str, upload: bool) -> None:
    units = render(tmp_path, "outlet_hub", "outlet-hub-backup", outlet_hub_venv=VENV,
                   outlet_hub_central_url=central_url)
    verify(tmp_path, "outlet-hub-backup")
    assert f"ExecStart={VENV}/bin/outlet-hub backup --config /etc/outlet-hub/hub.toml" \
        in units["service"]
    assert units["service"].rstrip().count("--upload") == int(upload)
