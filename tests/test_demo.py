"""`make demo` on a fresh directory: central seeded, hub enrolled, every printed URL answers."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.processes import ROOT, free_port, http_json


def test_demo_starts_an_enrolled_outlet_and_prints_working_urls(tmp_path: Path) -> None:
    env = {"DEMO_DIR": str(tmp_path / "demo"), "CENTRAL_PORT": str(free_port()),
           "WS_PORT": str(free_port()), "HTTP_PORT": str(free_port()), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "scripts.demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(lines)
        assert "Press Ctrl-C" in text, text
        urls = re.findall(r"(http://localhost:\d+/\S*)", text)
        assert len(urls) >= 6, text
        for url in urls:
            status, _ = http_json(url)
            assert status == 200, url
        health = http_json(f"http://localhost:{env['HTTP_PORT']}/health")[1]
        deadline = time.monotonic() + 20
        while health["central"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.2)
            health = http_json(f"http://localhost:{env['HTTP_PORT']}/health")[1]
        assert health["central"] == "ok"
        outlet = http_json(f"http://localhost:{env['WS_PORT']}/api/outlet")[1]
        assert outlet["enrolled"] is True and outlet["name"] == "Yogya Food Court"
        assert "demo" in text                      # the admin login is printed
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
