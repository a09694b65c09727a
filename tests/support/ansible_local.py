"""Run a playbook on this machine with the project's ansible-core (connection local), the
way the provisioning tests check a role's real output without a target host."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT


def run_local_play(tmp_path: Path, play: str, variables: dict[str, Any]) -> str:
    """`play` (YAML) against localhost with `variables` as extra vars; returns stdout."""
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    (tmp_path / "play.yml").write_text(play)
    ansible = shutil.which("ansible-playbook", path=str(ROOT / ".venv" / "bin"))
    assert ansible, "ansible-playbook in .venv (make provisioning-venv)"
    out = subprocess.run([ansible, "-i", "localhost,", str(tmp_path / "play.yml"),
                          "-e", f"@{tmp_path}/vars.json"],
                         capture_output=True, text=True, check=False, cwd=tmp_path, timeout=300,
                         env={"PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin",
                              "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp")})
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout
