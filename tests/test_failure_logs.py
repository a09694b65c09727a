"""A failed test shows the logs of the processes it started (tests/conftest.py): CI runs on
a fresh machine whose temporary directories are gone when someone reads the failure."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest
from tests.support.processes import Process


def _report(item: object, outcome: str, when: str = "call") -> pytest.TestReport:
    report = pytest.TestReport("t.py::x", ("t.py", 1, "x"), {}, outcome, None, when)  # type: ignore[arg-type]
    hook = conftest.pytest_runtest_makereport(item, None)  # type: ignore[arg-type]
    next(hook)
    with pytest.raises(StopIteration) as done:
        hook.send(report)
    result = done.value.value
    assert isinstance(result, pytest.TestReport)
    return result


def test_a_failed_test_carries_the_tail_of_each_process_log(tmp_path: Path) -> None:
    proc = Process("hub", [sys.executable, "-c", "print('x' * 9000 + ' the hub said why')"],
                   None, tmp_path)
    proc.start()
    assert proc.proc is not None and proc.proc.wait(10) == 0
    item = SimpleNamespace(funcargs={"procs": [proc]})

    (title, text), = _report(item, "failed").sections
    assert title.startswith("hub log, last 6000 characters") and str(proc.log_path) in title
    assert text.endswith("the hub said why\n") and len(text) == conftest.LOG_TAIL_CHARS

    assert _report(item, "passed").sections == []          # a pass stays quiet
    assert _report(item, "failed", when="setup").sections == []
    assert _report(SimpleNamespace(funcargs={}), "failed").sections == []
