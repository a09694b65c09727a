"""Central's backup and restore on both backends: taken while serving, restored to a scratch
database and over the original, retention kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.central.conftest import CentralUnderTest, PgDatabase, make_database_url, start_central


def outlet_names(central: CentralUnderTest) -> set[str]:
    return {o["name"] for o in central.as_admin("GET", "/api/tenants/outlets/")}


def restore(url: str, backup: Path, env: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-m", "central", "--database-url", url, "restore",
                          str(backup)], env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert "restored" in out.stdout


def running(workdir: Path, url: str, backend: str) -> CentralUnderTest:
    proc = start_central(workdir, url)
    return CentralUnderTest(proc, proc.admin_token(), backend)


def test_backup_while_serving_then_restore_to_scratch_and_over_the_original(
        backend: str, tmp_path: Path) -> None:
    cleanup: list[PgDatabase] = []
    original = running(tmp_path / "a", make_database_url(backend, tmp_path / "a", cleanup), backend)
    try:
        for name in ("Before A", "Before B"):
            original.as_admin("POST", "/api/tenants/outlets/", {"name": name})
        dest = tmp_path / "backups"
        first = Path(original.proc.cli("backup", "--dest", str(dest), "--keep", "2").strip())
        assert first.parent == dest and first.stat().st_size > 0
        original.as_admin("POST", "/api/tenants/outlets/", {"name": "After"})
        assert {"Before A", "Before B", "After"} <= outlet_names(original)

        scratch_url = make_database_url(backend, tmp_path / "scratch", cleanup)
        restore(scratch_url, first, original.proc.env)
        scratch = running(tmp_path / "scratch", scratch_url, backend)
        try:
            assert {"Before A", "Before B"} <= outlet_names(scratch)
            assert "After" not in outlet_names(scratch)
        finally:
            scratch.proc.kill()

        original.proc.kill()
        restore(original.proc.database_url, first, original.proc.env)
        again = running(tmp_path / "a2", original.proc.database_url, backend)
        try:
            names = outlet_names(again)
            assert {"Before A", "Before B"} <= names and "After" not in names
        finally:
            again.proc.kill()

        newer = [Path(original.proc.cli("backup", "--dest", str(dest), "--keep", "2").strip())
                 for _ in range(2)]
        kept = sorted(p.name for p in dest.iterdir())
        assert kept == sorted(p.name for p in newer), "only the 2 newest are kept"
    finally:
        original.proc.kill()
        for db in cleanup:
            db.drop()


def test_restore_refuses_a_backup_of_the_other_kind(backend: str, tmp_path: Path) -> None:
    cleanup: list[PgDatabase] = []
    try:
        url = make_database_url(backend, tmp_path, cleanup)
        wrong = tmp_path / ("central-x.sqlite" if backend == "postgresql" else "central-x.pgdump")
        wrong.write_bytes(b"not a backup")
        out = subprocess.run([sys.executable, "-m", "central", "--database-url", url, "restore",
                              str(wrong)], capture_output=True, text=True, timeout=60, check=False)
        assert out.returncode == 1 and "not a" in out.stderr
    finally:
        for db in cleanup:
            db.drop()

