"""The Raspberry Pi image booted with `qemu-system-aarch64 -M virt` (TCG) on its own kernel,
initrd and kernel command line, taken from its boot partition with mtools, and its own root
file system: the Pi's Debian arm64 kernel is generic, so everything after the firmware —
initramfs, root by label, systemd, first boot, the hub, enrolment — runs as on the board.
Only the Pi's GPU firmware stage (start4.elf reading config.txt) is not exercised here;
test_pi_root.py checks that what it needs is on the partition.

The outlet.toml is written by images/configure, as IT would; the network reaches nothing
but the test's central (tests/images/guest.py). Then provisioning (the image's Ansible
running firstboot.yml, after the hub is up) must finish and leave Mosquitto admitting only the
outlet's devices.

Collected only when OUTLET_PI_IMAGE names the built image (make image-test-pi).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.central.conftest import CentralUnderTest
from tests.images.guest import Guest, booted_outlet, mqtt_connect, on_boot_partition, registered_outlet

IMAGE = os.environ.get("OUTLET_PI_IMAGE", "")
# Emulated arm64 on a shared 2-core machine: a generous wait, measured numbers are printed.
PATIENCE = float(os.environ.get("OUTLET_PI_BOOT_PATIENCE", "1500"))
SMP = os.environ.get("OUTLET_PI_SMP", "2")
MILESTONES = {"kernel": "Booting Linux on physical CPU", "root mounted": "EXT4-fs (vda2): mounted",
              "systemd": "systemd[1]: systemd 2", "first boot": "outlet-hub: applying",
              "login prompt": " login:", "provisioned": "configured as hub-"}

pytestmark = [pytest.mark.timeout(int(PATIENCE) + 600)]


def from_boot_partition(disk: Path, name: str, dest: Path) -> Path:
    on_boot_partition("mcopy", disk, "-n", f"::/{name}", str(dest))
    return dest


def boot_virt(guest: Guest, disk: Path, central_port: int) -> str:
    """Power on a `-M virt` board with the kernel and initramfs the image's config.txt names
    and its cmdline.txt (as the Pi's firmware would); the command line used."""
    config = from_boot_partition(disk, "config.txt", guest.work / "config.txt").read_text()
    names = dict(line.replace("=", " ", 1).split(None, 1) for line in config.splitlines()
                 if line.startswith(("kernel=", "initramfs ")))
    kernel = from_boot_partition(disk, names["kernel"].strip(), guest.work / "vmlinuz")
    initrd = from_boot_partition(disk, names["initramfs"].split()[0], guest.work / "initrd.img")
    cmdline_txt = from_boot_partition(disk, "cmdline.txt", guest.work / "cmdline.txt").read_text()
    # The Pi's consoles are its GPIO UART (ttyS1) and HDMI (tty0); virt's UART is ttyAMA0.
    args = [arg for arg in cmdline_txt.split() if not arg.startswith("console=")]
    cmdline = " ".join(["console=ttyAMA0,115200", *args])
    # Cortex-A72 is the Pi 4's core (and has no pointer authentication for TCG to emulate).
    # Two of its four cores, one TCG thread each (arm64 is multi-threaded TCG's first target;
    # the NUC stays at one, see test_image_boot.py): the first boot runs the hub, sshd's key
    # generation and provisioning side by side, as on the board. Measured on the 2-core CI
    # machine kind, same image, nothing else running: provisioned 476 s after power-on with one
    # vCPU, 377 s with two.
    guest.start(["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a72", "-smp", SMP,
                 "-m", "1536", "-nodefaults", "-kernel", str(kernel), "-initrd", str(initrd),
                 "-append", cmdline,
                 "-drive", f"if=none,id=d0,format=raw,file={disk}", "-device", "virtio-blk-pci,drive=d0",
                 "-netdev", guest.netdev(central_port), "-device", "virtio-net-pci,netdev=n0"])
    return cmdline


@pytest.fixture(scope="module")
def pi(hq: CentralUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield from booted_outlet(hq, tmp_path_factory.mktemp("pi"), IMAGE, "Pi Test Outlet", "pitest",
                             {"kds-pitest": "device-secret-pitest"}, MILESTONES, boot_virt)


def test_pi_image_boots_its_own_kernel_and_the_hub_answers_as_the_outlet(pi: dict[str, Any]) -> None:
    guest: Guest = pi["guest"]
    seconds, body = guest.health_within(PATIENCE)
    print(f"\nPi image under -M virt: /health ok {seconds:.0f} s after power-on; "
          f"milestones (s): {guest.milestones}; cmdline: {pi['booted']}")
    assert "root=LABEL=HUBROOT" in pi["booted"]
    log = guest.log()
    version = next(line for line in log.splitlines() if "Linux version" in line)
    assert "-arm64 " in version, version                     # Debian's arm64 kernel, from the card
    assert body["outlet_id"] == pi["outlet_id"] and body["hub_id"] == "hub-pitest", body
    assert not body.get("notice"), body                      # configured, not standalone


def test_pi_hub_registered_its_websocket_url_with_central(pi: dict[str, Any]) -> None:
    guest: Guest = pi["guest"]
    guest.health_within(PATIENCE)
    row = registered_outlet(pi["hq"], pi["outlet_id"], timeout=300)
    assert row["websocket_url"].startswith("ws://10.0.2.15:3001"), row
    assert row["websocket_url_source"] == "hub" and row["hub"]["hub_id"] == "hub-pitest", row
    log = guest.console_shows("outlet-hub: applying", PATIENCE)
    assert pi["token"] not in log


def test_pi_provisioning_finishes_and_mosquitto_admits_only_the_outlets_devices(pi: dict[str, Any]) -> None:
    """firstboot.yml, run by the image's own Ansible on emulated arm64 after the hub is up."""
    guest: Guest = pi["guest"]
    log = guest.console_shows("configured as hub-", PATIENCE)
    print(f"\nPi image under -M virt: milestones (s): {guest.milestones}")
    assert f"outlet {pi['outlet_id']} (Pi Test Outlet) configured as hub-pitest" in log
    assert mqtt_connect(guest.mqtt) in (5, -1)                                  # anonymous: refused
    assert mqtt_connect(guest.mqtt, "kds-pitest", "device-secret-pitest") == 0  # outlet.toml's device
