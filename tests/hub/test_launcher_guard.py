"""The guard before every start (hub/launcher.py) and the release layout it switches
(hub/release_layout.py), on real files in tmp_path with an injected clock."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from hub.core import updates as rules
from hub.core.updates import State, Target, UpdateRecord
from hub.launcher import guard
from hub.release_layout import Layout


def installed(root: Path, *versions: str) -> Layout:
    layout = Layout(root)
    for v in versions:
        (layout.release(v) / "venv" / "bin").mkdir(parents=True)
    return layout


def switched_to(layout: Layout, new: str, old: str, now: float = 1000.0,
                backup: str = "") -> UpdateRecord:
    """What the old version leaves behind after switching (hub/updater.py)."""
    layout.point("previous", old)
    layout.point("current", new)
    rec = rules.on_target(UpdateRecord(old), Target(new, generation=4))
    rec = rules.switched(replace(rules.downloaded(rec), state=State.INSTALLING), now, backup)
    layout.write_record(rec)
    return rec


def test_point_replaces_the_symlink_and_refuses_a_missing_release(tmp_path: Path) -> None:
    layout = installed(tmp_path, "1.0", "2.0")
    layout.point("current", "1.0")
    layout.point("current", "2.0")
    assert os.readlink(tmp_path / "current") == "releases/2.0"
    assert not (tmp_path / ".current.tmp").exists()
    with pytest.raises(FileNotFoundError):
        layout.point("current", "3.0")
    assert layout.linked_version("current") == "2.0"
    with pytest.raises(ValueError, match="not a release version"):
        layout.release("../etc")


def test_three_starts_without_verifying_then_the_guard_switches_back(tmp_path: Path) -> None:
    layout = installed(tmp_path, "1.0", "2.0")
    switched_to(layout, "2.0", "1.0")
    for start in range(1, rules.MAX_CRASHES + 1):
        assert not guard(layout, ["run"], now=1001.0)
        assert layout.read_record("?").starts == start
        assert layout.linked_version("current") == "2.0"
    assert guard(layout, ["run"], now=1002.0)
    rec = layout.read_record("?")
    assert layout.linked_version("current") == "1.0"
    assert (rec.state, rec.current, rec.refused) == (State.ROLLED_BACK, "1.0", {"2.0": 4})
    assert not guard(layout, ["run"], now=1003.0)          # settled: later starts just run
    assert layout.linked_version("current") == "1.0"


def test_past_the_deadline_the_next_start_is_on_the_previous_release(tmp_path: Path) -> None:
    layout = installed(tmp_path, "1.0", "2.0")
    switched_to(layout, "2.0", "1.0", now=1000.0)
    assert guard(layout, ["run"], now=1000.0 + rules.VERIFY_SECONDS)
    assert layout.linked_version("current") == "1.0"
    assert "did not verify within 120 s" in layout.read_record("?").last_error


def test_a_guard_without_an_update_in_flight_writes_nothing(tmp_path: Path) -> None:
    layout = installed(tmp_path, "1.0")
    layout.point("current", "1.0")
    assert not guard(layout, ["run"], now=5.0)
    assert not (tmp_path / "update.json").exists()


def test_rollback_restores_the_pre_update_database_with_the_old_release(tmp_path: Path) -> None:
    layout = installed(tmp_path, "1.0", "2.0")
    calls = tmp_path / "calls.txt"
    program = layout.release("1.0") / "venv" / "bin" / "outlet-hub"
    program.write_text(f'#!/bin/sh\necho "$@" >> {calls}\necho restored\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    switched_to(layout, "2.0", "1.0", backup="/backups/pre-update-x.sqlite")
    assert guard(layout, ["run", "--config", "/etc/outlet-hub/hub.toml"], now=5000.0)
    assert calls.read_text().splitlines() == [
        "restore /backups/pre-update-x.sqlite --config /etc/outlet-hub/hub.toml"]


def test_prune_keeps_the_two_named_releases_and_their_downloads(tmp_path: Path) -> None:
    layout = installed(tmp_path, "1.0", "2.0", "3.0")
    layout.downloads.mkdir()
    for name in ("1.0.bundle", "3.0.bundle.part"):
        (layout.downloads / name).write_bytes(b"x")
    assert layout.prune(("2.0", "3.0")) == ["1.0"]
    assert sorted(p.name for p in layout.releases.iterdir()) == ["2.0", "3.0"]
    assert [p.name for p in layout.downloads.iterdir()] == ["3.0.bundle.part"]
