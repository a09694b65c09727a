"""Logs under systemd: journald's `<N>` priority prefix, no second timestamp; plain elsewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SNIPPET = ("import logging; from hub.journal import configure_logging; configure_logging('DEBUG');"
           "log = logging.getLogger('hub.test'); log.debug('d'); log.info('i'); log.warning('w');"
           "log.error('e')\ntry:\n    1/0\nexcept ZeroDivisionError:\n    log.exception('boom')")


def run_logging(tmp_path: Path, journal: bool) -> list[str]:
    path = tmp_path / "stderr"
    with path.open("wb") as err:
        st = os.fstat(err.fileno())
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        if journal:
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        subprocess.run([sys.executable, "-c", SNIPPET], stderr=err, env=env, check=True,
                       timeout=30)
    return path.read_text().splitlines()


def test_under_journald_every_line_carries_its_priority_and_no_timestamp(tmp_path: Path) -> None:
    lines = run_logging(tmp_path, journal=True)
    assert lines[:5] == ["<7>hub.test: d", "<6>hub.test: i", "<4>hub.test: w", "<3>hub.test: e",
                         "<3>hub.test: boom"]
    traceback = lines[5:]
    assert traceback and all(line.startswith("<3>") for line in traceback)
    assert any("ZeroDivisionError" in line for line in traceback)


@pytest.mark.parametrize("stream", [None, "1:2"])
def test_on_a_terminal_or_a_foreign_stream_lines_keep_their_timestamp(tmp_path: Path,
                                                                     stream: str | None) -> None:
    env_stream = {} if stream is None else {"JOURNAL_STREAM": stream}
    path = tmp_path / "stderr"
    with path.open("wb") as err:
        env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"} | env_stream
        subprocess.run([sys.executable, "-c", SNIPPET], stderr=err, env=env, check=True,
                       timeout=30)
    first = path.read_text().splitlines()[0]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} DEBUG hub.test: d$", first), first
