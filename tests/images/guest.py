"""A hub image booted in qemu (TCG) as the boot tests see it: its serial console, the ports
forwarded to it and the stages it has reached. Shared by the NUC test (OVMF + the image's
GRUB) and the Pi test (`-M virt` with the image's own kernel and initrd).

The guest's user-mode network is `restrict=on`: it reaches nothing but a central started by
the test, through a guestfwd (10.0.2.100:8000 in the guest → 127.0.0.1 here), and the host
reaches the hub only through hostfwd ports, which arrive at the guest's 10.0.2.15 from
10.0.2.2 (the slirp gateway): a LAN client, as far as the hub's firewall and broker know.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.central.conftest import CentralUnderTest
from tests.support.processes import ROOT, free_port, http_json

GUEST_CENTRAL = "10.0.2.100:8000"
# The outlet manager's PIN the test's outlet.toml sets ([hub] manager_pin): screens pair with it.
MANAGER_PIN = "482916"


class Guest:
    def __init__(self, work: Path, milestones: dict[str, str]) -> None:
        self.work = work
        self.console = work / "console.log"
        self.ops, self.ws, self.mqtt, self.ssh_port = free_port(), free_port(), free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.markers = milestones
        self.milestones: dict[str, int] = {}

    def netdev(self, central_port: int) -> str:
        return ",".join([
            "user,id=n0,restrict=on",
            f"hostfwd=tcp:127.0.0.1:{self.ops}-:3002",
            f"hostfwd=tcp:127.0.0.1:{self.ws}-:3001",
            f"hostfwd=tcp:127.0.0.1:{self.mqtt}-:1883",
            f"hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22",
            f"guestfwd=tcp:{GUEST_CENTRAL}-cmd:socat - TCP:127.0.0.1:{central_port}",
        ])

    def start(self, argv: list[str], reboots: bool = False) -> None:
        """Power on: the machine's argv plus the serial console to a file, no display.
        A reboot inside the guest ends qemu unless `reboots` (then it boots again, like a box
        whose IT typed `sudo reboot`)."""
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [*argv, "-display", "none", *([] if reboots else ["-no-reboot"]), "-monitor", "none",
             "-serial", f"file:{self.console}"],
            stdout=(self.work / "qemu.log").open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def log(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    def note_milestones(self) -> None:
        """Seconds after power-on at which each boot stage first showed on the console."""
        text = self.log()
        for name, marker in self.markers.items():
            if name not in self.milestones and marker in text:
                self.milestones[name] = round(time.monotonic() - self.started)

    def alive(self) -> None:
        assert self.proc and self.proc.poll() is None, f"qemu exited; console:\n{self.log()[-4000:]}"

    def health_within(self, budget: float) -> tuple[float, dict[str, Any]]:
        """Poll the forwarded /health until it says ok; seconds after power-on and its body."""
        last: Any = None
        while time.monotonic() - self.started < budget:
            self.alive()
            self.note_milestones()
            try:
                status, body = http_json(f"http://127.0.0.1:{self.ops}/health", timeout=3)
                last = (status, body)
                if status == 200 and isinstance(body, dict) and body.get("status") == "ok":
                    self.milestones.setdefault("health ok", round(time.monotonic() - self.started))
                    return self.milestones["health ok"], body
            except Exception as exc:
                last = exc
            time.sleep(2)
        raise AssertionError(f"/health not ok {budget:.0f} s after power-on (last: {last!r}); "
                             f"milestones {self.milestones};\nconsole tail:\n{self.log()[-6000:]}")

    def health(self) -> dict[str, Any]:
        """/health's body once ({} while the hub does not answer, e.g. restarting)."""
        try:
            status, body = http_json(f"http://127.0.0.1:{self.ops}/health", timeout=5)
        except Exception:
            return {}
        return dict(body) if status == 200 and isinstance(body, dict) else {}

    def ssh(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`command` as IT's outlet-admin over the forwarded SSH port, with the key that
        outlet.toml's [ssh] authorized_keys names (admin_key)."""
        return subprocess.run(
            ["ssh", "-i", str(self.work / "id_it"), "-p", str(self.ssh_port), "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=60", "outlet-admin@127.0.0.1", command],
            capture_output=True, text=True, timeout=timeout, check=False)

    def console_shows(self, marker: str, budget: float) -> str:
        """Wait for a line on the serial console; the whole console so far."""
        while marker not in self.log():
            self.alive()
            assert time.monotonic() - self.started < budget, \
                f"{marker!r} not on the console {budget:.0f} s after power-on;\n{self.log()[-6000:]}"
            self.note_milestones()
            time.sleep(2)
        self.note_milestones()
        return self.log()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


def configured_disk(image: str | Path, work: Path, config_text: str, grow_mib: int = 512) -> Path:
    """A copy of the image, `grow_mib` bigger like a larger card or disk, with outlet.toml
    written onto its boot partition by images/configure (no mount)."""
    config = work / "outlet.toml"
    config.write_text(config_text)
    disk = work / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(image), str(disk)], check=True)
    with disk.open("r+b") as handle:
        handle.truncate(disk.stat().st_size + grow_mib * 1024 * 1024)
    out = subprocess.run([str(ROOT / "images" / "configure"), str(disk), str(config)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return disk


def outlet_toml(outlet_id: int, name: str, slug: str, token: str, pubkey: str,
                devices: dict[str, str], release_key: str = "") -> str:
    """An outlet.toml as IT writes it: static address on the slirp LAN, central via guestfwd,
    and (`release_key`) the public key of the releases the test's central serves."""
    lines = "\n".join(f'{user} = "{password}"' for user, password in devices.items())
    key_line = f'release_public_key = "{release_key}"' if release_key else ""
    return f"""
[outlet]
id = {outlet_id}
name = "{name}"
slug = "{slug}"
timezone = "Asia/Jakarta"

[central]
url = "http://{GUEST_CENTRAL}"
enrollment_token = "{token}"

[network]
mode = "static"
address = "10.0.2.15/24"
gateway = "10.0.2.2"
lan_networks = ["10.0.2.0/24"]
admin_networks = ["10.0.2.0/24"]

[ssh]
authorized_keys = ["{pubkey}"]

[hub]
manager_pin = "{MANAGER_PIN}"
{key_line}

[mqtt.devices]
{lines}
"""


def admin_key(work: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "it@imagetest",
                    "-f", str(work / "id_it")], check=True)
    return (work / "id_it.pub").read_text().strip()


def partition_offset(disk: Path, index: int) -> int:
    """Byte offset of partition `index` (0 = boot FAT), read from the partition table."""
    import json
    table = json.loads(subprocess.run(["sfdisk", "--json", str(disk)], capture_output=True,
                                      text=True, check=True).stdout)["partitiontable"]
    return int(table["partitions"][index]["start"]) * int(table.get("sectorsize", 512))


def on_boot_partition(tool: str, disk: str | Path, *args: str,
                      check: bool = True) -> subprocess.CompletedProcess[str]:
    """An mtools command (mdir, mtype, mcopy) on the image's boot FAT, read in place."""
    return subprocess.run([tool, "-i", f"{disk}@@{partition_offset(Path(disk), 0)}", *args],
                          capture_output=True, text=True, check=check,
                          env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})


def mqtt_connect(port: int, username: str | None = None, password: str | None = None) -> int:
    """MQTT 3.1.1 CONNECT on 127.0.0.1:port; the CONNACK return code (5 = not authorized)."""
    def s(text: str) -> bytes:
        return len(text).to_bytes(2, "big") + text.encode()
    flags = 0x02 | (0x80 if username else 0) | (0x40 if password else 0)
    body = s("MQTT") + bytes([4, flags]) + (30).to_bytes(2, "big") + s(f"imagetest-{time.time_ns()}")
    body += (s(username) if username else b"") + (s(password) if password else b"")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(bytes([0x10, len(body)]) + body)
        reply = sock.recv(4)
    if len(reply) < 4:
        return -1   # closed without a CONNACK: refused as well
    assert reply[0] == 0x20, reply
    return reply[3]


def pair_by_pin(base: str, client_type: str, name: str, pin: str = MANAGER_PIN,
                tenant_ids: list[int] | None = None) -> tuple[str, str]:
    """Pair a screen over plain HTTP the way the apps do (docs/protocol.md, "Screens and
    devices"): ask for a code, approve it with the manager's PIN, read the token once.
    Returns (device_id, token). `base` is e.g. http://127.0.0.1:<forwarded ws port>."""
    body: dict[str, Any] = {"client_type": client_type, "name": name}
    if tenant_ids:
        body["tenant_ids"] = tenant_ids
    status, req = http_json(f"{base}/api/pairing", "POST", body, timeout=30)
    assert status == 201, (status, req)
    assert len(req["code"]) == 6 and req["code"].isdigit(), req
    status, answer = http_json(f"{base}/api/pairing/approve", "POST",
                               {"code": req["code"], "pin": pin}, timeout=30)
    assert status == 200, (status, answer)
    status, polled = http_json(f"{base}/api/pairing/{req['request_id']}", timeout=30)
    assert status == 200 and polled["status"] == "approved" and polled.get("token"), polled
    return str(polled["device_id"]), str(polled["token"])


def order_as_kiosk(base: str, token: str, outlet_id: int, number: str) -> dict[str, Any]:
    """Submit one order with a kiosk's device token and read it back by uuid; returns the row.
    Without the token the hub (pairing required) refuses both, which is checked first."""
    import uuid as uuidlib

    order = {"uuid": str(uuidlib.uuid4()), "order_number": number, "outlet_id": outlet_id,
             "tenant_id": None, "order_type": "dine_in", "source": "kiosk", "total_amount": "25000",
             "items": [{"product_id": 7, "name": "Nasi Goreng", "qty": 1, "price": "25000",
                        "modifiers": [], "notes": ""}]}
    status, refused = http_json(f"{base}/api/orders", "POST", order, timeout=30)
    assert status == 401, (status, refused)        # a screen that never paired gets nothing
    auth = {"Authorization": f"Bearer {token}"}
    status, ack = http_json(f"{base}/api/orders", "POST", order, headers=auth, timeout=30)
    assert status in (200, 201) and ack["uuid"] == order["uuid"], (status, ack)
    status, row = http_json(f"{base}/api/orders/{order['uuid']}", headers=auth, timeout=30)
    assert status == 200, (status, row)
    assert row["order_number"] == number and row["status"] == "pending", row
    return dict(row)


def registered_outlet(hq: CentralUnderTest, outlet_id: int, timeout: float = 60) -> dict[str, Any]:
    """The outlet as central's admin API shows it, once a hub has registered its websocket_url."""
    deadline = time.monotonic() + timeout
    row: Any = None
    while time.monotonic() < deadline:
        status, row = hq.call("GET", f"/api/tenants/outlets/{outlet_id}/", token=hq.admin)
        assert status == 200, row
        if row.get("websocket_url"):
            break
        time.sleep(1)
    assert isinstance(row, dict)
    return row


def booted_outlet(hq: CentralUnderTest, work: Path, image: str, name: str, slug: str,
                  devices: dict[str, str], milestones: dict[str, str],
                  power_on: Callable[[Guest, Path, int], object],
                  release_key: str = "") -> Iterator[dict[str, Any]]:
    """The IT journey up to power-on: an outlet and its enrollment token at central, an
    outlet.toml written onto a copy of the image, the guest booted by `power_on`. Yields what
    the tests check against; the guest is stopped afterwards (its console is kept in
    $OUTLET_IMAGE_TEST_KEEP when that names a directory)."""
    outlet_id = hq.new_outlet(name)
    token = hq.enrollment_token(outlet_id)
    disk = configured_disk(image, work, outlet_toml(outlet_id, name, slug, token, admin_key(work), devices,
                                                    release_key))
    guest = Guest(work, milestones)
    booted = power_on(guest, disk, hq.proc.port)
    try:
        yield {"guest": guest, "outlet_id": outlet_id, "token": token, "disk": disk, "hq": hq,
               "ops": f"http://127.0.0.1:{guest.ops}", "booted": booted}
    finally:
        guest.stop()
        keep = os.environ.get("OUTLET_IMAGE_TEST_KEEP")
        if keep:
            shutil.copy(guest.console, Path(keep) / f"{slug}-console.log")
