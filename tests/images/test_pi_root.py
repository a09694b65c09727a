"""The Raspberry Pi (arm64) image, checked on this amd64 machine: its root runs through
qemu-user (binfmt) in a chroot inside a network namespace of our own (no network at all),
and its boot partition holds what the Pi 4 firmware needs.

Skipped unless OUTLET_PI_IMAGE names the built image (make image-test-pi sets it); the
unpacked root the image was made from is build/images/pi/root next to it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.images.guest import on_boot_partition

IMAGE = os.environ.get("OUTLET_PI_IMAGE", "")
# Collected only when OUTLET_PI_IMAGE names a built image (tests/images/conftest.py).

UNITS = ["outlet-hub.service", "outlet-hub-firstboot.service", "outlet-hub-growroot.service",
         "outlet-hub-sshkeys.service", "outlet-hub-provision.service"]


@pytest.fixture(scope="module")
def root() -> Path:
    path = Path(IMAGE).parent / "pi" / "root"
    assert (path / "etc" / "debian_version").exists(), path
    return path


def in_root(root: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """argv inside the arm64 root: chroot + qemu-user, in a fresh network namespace."""
    return subprocess.run(["unshare", "--net", "--", "chroot", str(root), *argv],
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_root_is_arm64_and_has_no_network(root: Path) -> None:
    out = in_root(root, "/usr/bin/dpkg", "--print-architecture")
    assert out.stdout.strip() == "arm64", out
    out = in_root(root, "/usr/bin/python3", "-c",
                  "import platform, socket; print(platform.machine());"
                  "s = socket.socket(); s.settimeout(2);"
                  "print(s.connect_ex(('1.1.1.1', 80)))")
    machine, errno = out.stdout.split()
    assert machine == "aarch64" and errno != "0", out


def test_hub_imports_and_checks_its_config(root: Path) -> None:
    # Installed as a release the hub can update itself from (decision 1101), owned by its user.
    current = root / "opt" / "outlet-hub" / "current"
    assert current.is_symlink() and os.readlink(current).startswith("releases/"), current
    users = {line.split(":")[0]: int(line.split(":")[2])
             for line in (root / "etc" / "passwd").read_text().splitlines()}
    assert (root / "opt" / "outlet-hub").stat().st_uid == users["outlet-hub"]
    out = in_root(root, "/opt/outlet-hub/current/venv/bin/python", "-c",
                  "import hub, aiohttp, zeroconf; print(hub.__name__)")
    assert out.returncode == 0 and out.stdout.strip() == "hub", out
    out = in_root(root, "/opt/outlet-hub/current/venv/bin/outlet-hub", "check-config",
                  "--config", "/etc/outlet-hub/hub.toml")
    assert out.returncode == 0, out
    assert "NOT CONFIGURED" in out.stdout        # the standalone default says so on the status page


def test_units_pass_systemd_analyze_verify(root: Path) -> None:
    paths = [f"/etc/systemd/system/{unit}" for unit in UNITS]
    out = in_root(root, "/usr/bin/systemd-analyze", "verify", *paths)
    assert out.returncode == 0, out.stdout + out.stderr


def test_image_is_sealed(root: Path) -> None:
    assert (root / "etc" / "machine-id").read_text() == ""
    assert not list((root / "etc" / "ssh").glob("ssh_host_*"))
    assert not (root / "usr" / "sbin" / "policy-rc.d").exists()
    lines = (root / "etc" / "shadow").read_text().splitlines()
    shadow = {line.split(":")[0]: line.split(":")[1] for line in lines}
    assert shadow["root"].startswith(("!", "*")) and shadow["outlet-admin"].startswith(("!", "*"))
    for unit in ("outlet-hub", "mosquitto", "ssh", "outlet-hub-firstboot", "nftables"):
        # The links point at paths inside the image: list them without following them.
        links = [link for link in (root / "etc" / "systemd" / "system").glob("*.wants/*")
                 if link.name == f"{unit}.service" and link.is_symlink()]
        assert links, f"{unit} not enabled"


def test_boot_partition_has_what_the_pi4_firmware_needs() -> None:
    sfdisk = subprocess.run(["sfdisk", "--json", IMAGE], capture_output=True, text=True, check=True)
    assert json.loads(sfdisk.stdout)["partitiontable"]["label"] == "dos"
    listing = on_boot_partition("mdir", IMAGE, "-b", "::/").stdout
    files = {line.split()[0].removeprefix("::/") for line in listing.splitlines() if line.startswith("::/")}
    for name in ("start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "bcm2837-rpi-3-b-plus.dtb",
                 "config.txt", "cmdline.txt", "outlet.toml.example"):
        assert name in files, (name, listing)

    def read(name: str) -> str:
        return on_boot_partition("mtype", IMAGE, f"::/{name}").stdout
    # Written by raspi-firmware's hook from images/rootfs-pi/etc/default/raspi-firmware, as it
    # will be again on every kernel upgrade.
    cmdline = read("cmdline.txt").split()
    assert "root=LABEL=HUBROOT" in cmdline and "console=ttyS1,115200" in cmdline, cmdline
    assert cmdline.index("console=ttyS1,115200") < cmdline.index("console=tty0"), cmdline  # HDMI last
    assert not [arg for arg in cmdline if arg.startswith("cma=")], cmdline
    config = read("config.txt").splitlines()
    assert "arm_64bit=1" in config and "enable_uart=1" in config, config
    kernel = next(line.split("=", 1)[1] for line in config if line.startswith("kernel="))
    initramfs = next(line.split()[1] for line in config if line.startswith("initramfs "))
    assert kernel.startswith("vmlinuz-") and kernel in files, (kernel, files)
    assert initramfs.startswith("initrd.img-") and initramfs in files, (initramfs, files)
