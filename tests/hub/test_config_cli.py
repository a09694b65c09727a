"""One configuration loader (TOML file < environment < CLI flags), the `outlet-hub` CLI, sd_notify.

The loader is tested as a function with an explicit environment, and end to end through
the real console script, so the precedence IT relies on holds at both levels.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.config import DEFAULT_ALLOWED_NETWORKS, ConfigError, HubConfig, load
from tests.support.processes import ROOT, Hub, http_json
from tests.support.wsclient import make_order

OUTLET_HUB = str(Path(sys.executable).with_name("outlet-hub"))
CONFIG_ENV_PREFIXES = ("HUB_", "WS_PORT", "HTTP_PORT", "NOTIFY_SOCKET", "WATCHDOG_")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any hub setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CONFIG_ENV_PREFIXES)}
    return env | extra


def run_cli(*args: str, env: dict[str, str] | None = None, module: bool = False,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "hub", *args] if module else [OUTLET_HUB, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env=env if env is not None else clean_env(), cwd=cwd or ROOT)


def described(output: str) -> dict[str, str]:
    """`check-config` prints `  key = value` lines; read them back."""
    values = {}
    for line in output.splitlines():
        if line.startswith("  ") and " =" in line:
            key, _, value = line.strip().partition(" =")
            values[key] = value.strip()
    return values


# -- the loader ----------------------------------------------------------------------------
def test_file_is_overridden_by_environment_which_is_overridden_by_flags(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('outlet_id = 2\nws_port = 4001\nhttp_port = 4002\nbind = "10.1.1.1"\n'
                    'mqtt_url = "mqtt://broker.lan:1883"\n')
    environ = {"HUB_OUTLET_ID": "3", "WS_PORT": "5001", "HUB_BIND": "10.2.2.2"}
    cfg = load(path, environ=environ, overrides={"outlet_id": 4, "ws_port": None})
    assert cfg.outlet_id == 4                       # flag beats env beats file
    assert cfg.ws_port == 5001                      # env beats file; an unset flag is no flag
    assert cfg.bind == "10.2.2.2"
    assert cfg.http_port == 4002                    # file only
    assert cfg.mqtt_url == "mqtt://broker.lan:1883"
    assert cfg.allowed_networks == DEFAULT_ALLOWED_NETWORKS      # nobody set it: default


def test_hub_config_variable_names_the_file_and_a_hub_table_is_read(tmp_path: Path) -> None:
    path = tmp_path / "outlet.toml"
    path.write_text('[hub]\noutlet_id = 7\nallowed_networks = ["192.168.5.0/24"]\n'
                    'zeroconf = false\n')
    cfg = load(environ={"HUB_CONFIG": str(path)})
    assert (cfg.outlet_id, cfg.allowed_networks, cfg.zeroconf) == (7, ("192.168.5.0/24",), False)


def test_loader_reads_only_the_environment_it_is_given(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_OUTLET_ID", "9")
    assert load(environ={}).outlet_id == HubConfig().outlet_id


# Issue 2 names these environment variables; each must reach its key.
ENV_NAMES = [
    ("HUB_DATA_DIR", "/srv/hub", "data_dir", Path("/srv/hub")),
    ("HUB_OUTLET_ID", "12", "outlet_id", 12),
    ("HUB_CENTRAL_TIMEOUT_SECONDS", "2.5", "central_timeout_seconds", 2.5),
    ("HUB_ID", "hub-kemang-01", "hub_id", "hub-kemang-01"),
    ("WS_PORT", "4101", "ws_port", 4101),
    ("HTTP_PORT", "4102", "http_port", 4102),
    ("HUB_HTTPS_PORT", "4443", "https_port", 4443),
    ("HUB_TLS_ENABLED", "off", "tls_enabled", False),
    ("HUB_BIND", "192.168.1.10", "bind", "192.168.1.10"),
    ("HUB_MQTT_URL", "mqtt://10.0.0.5:1884", "mqtt_url", "mqtt://10.0.0.5:1884"),
    ("HUB_CENTRAL_URL", "https://hq.example", "central_url", "https://hq.example"),
    ("HUB_WEBSOCKET_URL", "ws://hub.lan:3001/ws", "websocket_url", "ws://hub.lan:3001/ws"),
    ("HUB_ZEROCONF", "off", "zeroconf", False),
    ("HUB_ALLOWED_NETWORKS", "10.9.0.0/16, 192.168.7.0/24", "allowed_networks",
     ("10.9.0.0/16", "192.168.7.0/24")),
    ("HUB_ALLOWED_ORIGINS", "http://kiosk.lan:8080", "allowed_origins", ("http://kiosk.lan:8080",)),
    ("HUB_CLIENT_TOKEN", "s3cret", "client_token", "s3cret"),
]


@pytest.mark.parametrize(("name", "raw", "key", "expected"), ENV_NAMES,
                         ids=[n for n, *_ in ENV_NAMES])
def test_each_documented_environment_variable_sets_its_key(name: str, raw: str, key: str,
                                                           expected: object) -> None:
    assert getattr(load(environ={name: raw}), key) == expected


@pytest.mark.parametrize(("content", "key"), [
    ("colour = 'red'\n", "colour"),
    ("ws_port = 70000\n", "ws_port"),
    ("http_port = 'eighty'\n", "http_port"),
    ("allowed_networks = ['10.0.0.0/33']\n", "allowed_networks"),
    ("mqtt_url = 'http://broker:1883'\n", "mqtt_url"),
    ("https_port = 3001\n", "https_port"),
])
def test_loader_errors_name_the_bad_key(tmp_path: Path, content: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=key):
        load(path, environ={})


# -- outlet-hub check-config ---------------------------------------------------------------
def test_check_config_applies_file_env_and_flag_precedence_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('outlet_id = 2\nws_port = 4001\nhttp_port = 4002\n'
                    'mqtt_url = "mqtt://broker.lan:1883"\nbind = "10.1.1.1"\n')
    done = run_cli("check-config", "--config", str(path), "--outlet-id", "4", "--bind", "10.3.3.3",
                   env=clean_env(HUB_OUTLET_ID="3", WS_PORT="5001", HUB_BIND="10.2.2.2"),
                   module=True)
    assert done.returncode == 0, done.stderr
    values = described(done.stdout)
    assert values["outlet_id"] == "4"
    assert values["bind"] == "10.3.3.3"
    assert values["ws_port"] == "5001"
    assert values["http_port"] == "4002"
    assert values["mqtt_url"] == "mqtt://broker.lan:1883"

    # HUB_CONFIG works as the file when no --config is given, through the console script.
    done = run_cli("check-config", "--ws-port", "6001",
                   env=clean_env(HUB_CONFIG=str(path), WS_PORT="5001"))
    assert done.returncode == 0, done.stderr
    assert (described(done.stdout)["ws_port"], described(done.stdout)["outlet_id"]) == ("6001", "2")


BAD_CONFIGS = {
    "unknown_key": ('outlet_id = 1\ncolour = "red"\n', "colour"),
    "bad_port": ("ws_port = 70000\n", "ws_port"),
    "bad_network": ('allowed_networks = ["10.0.0.0/8", "not-a-net"]\n', "allowed_networks"),
    "bad_mqtt_url": ('mqtt_url = "broker.lan:1883"\n', "mqtt_url"),
    "not_toml": ("<hub><outlet>1</outlet></hub>\n", "TOML"),
    "central_timeout_zero": ("central_timeout_seconds = 0\n", "central_timeout_seconds"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_check_config_rejects_bad_file_with_readable_message_naming_the_key(
        tmp_path: Path, case: str) -> None:
    content, named = BAD_CONFIGS[case]
    path = tmp_path / "hub.toml"
    path.write_text(content)
    done = run_cli("check-config", "--config", str(path))
    assert done.returncode != 0
    assert named in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) <= 3, done.stderr      # a message, not a dump


def test_check_config_rejects_missing_file_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "hub.toml"
    done = run_cli("check-config", "--config", str(missing))
    assert done.returncode != 0
    assert str(missing) in done.stderr and "not found" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("env", "named"), [
    ({"WS_PORT": "abc"}, "ws_port"),
    ({"HTTP_PORT": "-1"}, "http_port"),
    ({"HUB_ALLOWED_NETWORKS": "10.0.0.0/8,300.1.1.0/24"}, "allowed_networks"),
    ({"HUB_MQTT_URL": "ftp://broker"}, "mqtt_url"),
])
def test_check_config_rejects_bad_environment_naming_the_key(env: dict[str, str],
                                                             named: str) -> None:
    done = run_cli("check-config", env=clean_env(**env))
    assert done.returncode != 0
    assert named in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_check_config_prints_secrets_only_as_set(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('mqtt_password = "mqtt-pw-4411"\nenrollment_token = "enroll-9922"\n')
    done = run_cli("check-config", "--config", str(path),
                   env=clean_env(HUB_CLIENT_TOKEN="client-tok-7788"))
    assert done.returncode == 0, done.stderr
    values = described(done.stdout)
    assert values["client_token"] == "(set)"
    assert values["mqtt_password"] == "(set)"
    assert values["enrollment_token"] == "(set)"
    for secret in ("mqtt-pw-4411", "enroll-9922", "client-tok-7788"):
        assert secret not in done.stdout + done.stderr
    unset = described(run_cli("check-config").stdout)
    assert unset["client_token"] == "(not set)"


# -- outlet-hub migrate --------------------------------------------------------------------
def test_migrate_creates_the_schema_and_the_hub_serves_from_it(
        tmp_path: Path, hub_factory: Callable[..., Hub]) -> None:
    data = tmp_path / "hub-data"          # the directory hub_factory's Hub(name="hub") uses
    done = run_cli("migrate", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    db = data / "hub.sqlite3"
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        version = conn.execute("select version_num from alembic_version").fetchall()
    assert {"orders", "alembic_version"} <= tables, tables
    assert len(version) == 1
    again = run_cli("migrate", "--data-dir", str(data))
    assert again.returncode == 0, again.stderr          # idempotent
    hub = hub_factory()
    assert hub.data_dir == data
    status, _ = http_json(f"{hub.base}/api/orders", "POST", make_order("MIG-1"))
    assert status == 201


# -- sd_notify -----------------------------------------------------------------------------
@pytest.fixture(params=["path", "abstract"])
def notify_socket(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if request.param == "path":
        address = str(tmp_path / "notify.sock")
        sock.bind(address)
    else:
        name = f"outlet-hub-test-{uuidlib.uuid4().hex}"
        sock.bind("\0" + name)
        address = "@" + name
    sock.settimeout(1.0)
    try:
        yield address, sock
    finally:
        sock.close()


def test_sd_notify_sends_ready_then_watchdog_pings_then_stopping(
        hub_factory: Callable[..., Hub], notify_socket: tuple[str, socket.socket]) -> None:
    address, sock = notify_socket
    hub = hub_factory(env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000"})
    received: list[str] = []

    def pings_after_ready() -> int:
        ready = next((i for i, m in enumerate(received) if "READY=1" in m.splitlines()), None)
        return 0 if ready is None else received[ready + 1:].count("WATCHDOG=1")

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and pings_after_ready() < 2:
        try:
            received.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
    assert any("READY=1" in m.splitlines() for m in received), received
    assert pings_after_ready() >= 2, received
    assert http_json(f"{hub.ops}/health")[0] == 200       # READY meant ready
    assert hub.terminate() == 0
    after: list[str] = []
    while True:
        try:
            after.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    assert any("STOPPING=1" in m.splitlines() for m in after), after
