"""Real processes for tests: Mosquitto, the hub and central, each on free loopback ports.

Every test that needs a broker or a service starts the real program from a generated
config, so it can SIGKILL it, restart it and watch what survives — the way Mosquitto's
own suite tests the broker.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest

from scripts.ports import free_port as free_port  # tests import it from here

ROOT = Path(__file__).resolve().parents[2]


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
    """Block until something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def http_json(url: str, method: str = "GET", body: Any = None,
              headers: Mapping[str, str] | None = None, timeout: float = 5.0) -> tuple[int, Any]:
    """Small blocking JSON client for tests; returns (status, decoded body or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        status = exc.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def missing_prerequisite(what: str) -> NoReturn:
    """A tool or service the test needs is absent: fail under CI (`make test` installs or
    starts it, so its absence there is a bug), skip a bare pytest run elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required under CI: {what}")
    pytest.skip(what)


def wait_for_http(url: str, timeout: float = 15.0, ok: tuple[int, ...] = (200,)) -> None:
    """Block until GET url answers with one of the ok statuses."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            status, _ = http_json(url, timeout=1.0)
            if status in ok:
                return
            last = status
        except OSError as exc:
            last = exc
        time.sleep(0.05)
    raise TimeoutError(f"{url} not ready after {timeout}s (last: {last!r})")


class Process:
    """A child process with its log captured to a file, killed for sure at the end."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str] | None, log_dir: Path,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(os.environ) | dict(env or {})
        self.log_path = log_dir / f"{name}.log"
        self.cwd = cwd or ROOT
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the crash the hub must survive — to the whole process group, so a
        program that runs in a child (the PyInstaller hub binary) dies with its parent."""
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        elif self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def terminate(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
        return self.proc.returncode if self.proc else None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Mosquitto(Process):
    """A real Mosquitto broker from a generated config on a free loopback port."""

    def __init__(self, workdir: Path, port: int | None = None, extra_conf: str = "",
                 head_conf: str = "") -> None:
        """`head_conf` goes before the first listener (per_listener_settings must be there)."""
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        conf = workdir / f"mosquitto-{self.port}.conf"
        conf.write_text(
            f"{head_conf}listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            f"log_dest stdout\nlog_type error\nlog_type warning\n{extra_conf}"
        )
        super().__init__(f"mosquitto-{self.port}", [MOSQUITTO, "-c", str(conf)], None, workdir)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        wait_for_port(self.port)


class Hub(Process):
    """The real hub (`python -m hub run`) as a subprocess on free ports."""

    def __init__(self, workdir: Path, outlet_id: int = 1, env: Mapping[str, str] | None = None,
                 name: str = "hub", ws_port: int | None = None, http_port: int | None = None) -> None:
        self.ws_port = ws_port or free_port()
        self.http_port = http_port or free_port()
        while self.http_port == self.ws_port:      # the kernel may hand out a port twice
            self.http_port = free_port()
        self.data_dir = workdir / f"{name}-data"
        base = {
            "HUB_DATA_DIR": str(self.data_dir),
            "HUB_OUTLET_ID": str(outlet_id),
            "HUB_ID": f"{name}-test",
            "WS_PORT": str(self.ws_port),
            "HTTP_PORT": str(self.http_port),
            "HUB_BIND": "127.0.0.1",
            "HUB_MQTT_URL": "none",
            "HUB_ZEROCONF": "off",
            "HUB_LOG_LEVEL": "info",
        }
        super().__init__(name, [sys.executable, "-m", "hub", "run"], base | dict(env or {}), workdir)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ws_port}"

    @property
    def ops(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    def start(self, wait: bool = True) -> None:
        super().start()
        if wait:
            try:
                wait_for_http(f"{self.ops}/health", timeout=20)
            except TimeoutError:
                raise TimeoutError(f"hub did not come up; log:\n{self.log()}") from None


@contextlib.contextmanager
def running(proc: Process) -> Iterator[Process]:
    """Start proc, yield it, and make sure it is gone afterwards."""
    proc.start()
    try:
        yield proc
    finally:
        proc.kill()


class Central(Process):
    """The real central server (`python -m central run`) as a subprocess on a free port."""

    def __init__(self, workdir: Path, database_url: str | None = None,
                 env: Mapping[str, str] | None = None, name: str = "central",
                 port: int | None = None) -> None:
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{workdir / (name + '.db')}"
        base = {
            "CENTRAL_PORT": str(self.port),
            "CENTRAL_BIND": "127.0.0.1",
            "CENTRAL_DATABASE_URL": self.database_url,
            "CENTRAL_LOG_LEVEL": "INFO",
            "CENTRAL_UI_DIR": str(ROOT / "ui"),
        }
        super().__init__(name, [sys.executable, "-m", "central", "run"],
                         base | dict(env or {}), workdir)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        super().start()
        if wait:
            try:
                wait_for_http(f"{self.base}/health", timeout=30)
            except TimeoutError:
                raise TimeoutError(f"central did not come up; log:\n{self.log()}") from None

    def cli(self, *args: str, timeout: float = 60.0, stdin: str | None = None) -> str:
        """Run `python -m central <args>` against the same database; returns stdout."""
        out = subprocess.run([sys.executable, "-m", "central", *args], env=self.env,
                             cwd=self.cwd, capture_output=True, text=True, timeout=timeout,
                             check=False, input=stdin if stdin is not None else "")
        if out.returncode != 0:
            raise RuntimeError(f"central {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    def admin_token(self, username: str = "admin", password: str = "test-password-1") -> str:
        """Create (or reset) an admin and log in; returns the bearer token."""
        self.cli("create-admin", "--username", username, stdin=password + "\n")
        status, body = http_json(f"{self.base}/api/auth/login", "POST",
                                 {"username": username, "password": password})
        if status != 200:
            raise RuntimeError(f"login failed: {status} {body}")
        return str(body["token"])
