"""The first-boot reader of outlet.toml (images/rootfs/usr/lib/outlet-hub/firstboot) and
images/configure, on the host: errors name the key, secrets never stay on the boot partition,
and configure writes into a FAT partition of an image file without mounting it."""

from __future__ import annotations

import base64
import importlib.machinery
import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.ansible_local import run_local_play
from tests.support.processes import ROOT

FIRSTBOOT = ROOT / "images" / "rootfs" / "usr" / "lib" / "outlet-hub" / "firstboot"
EXAMPLE = ROOT / "images" / "outlet.toml.example"


def load() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("outlet_firstboot", str(FIRSTBOOT))
    spec = importlib.util.spec_from_loader("outlet_firstboot", loader)
    assert spec
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


fb = load()
# Any 32 bytes in base64 have the form of an Ed25519 public key (a hub checks more on load).
RELEASE_KEY = base64.b64encode(bytes(range(32))).decode()


def test_the_example_is_valid_and_maps_onto_firstboot_yml_variables() -> None:
    cfg = fb.parse(EXAMPLE.read_text())
    assert cfg["outlet_id"] == 1 and cfg["outlet_slug"] == "malioboro"
    out = fb.playbook_vars(cfg, "192.168.1.10")
    assert out["outlet_lan_networks"] == ["192.168.1.0/24"]
    assert out["admin_networks"] == ["10.99.0.0/24"]
    assert out["hub_lan_address"] == "192.168.1.10"
    assert out["outlet_hub_manage_services"] is False


@pytest.mark.parametrize("text, names", [
    ("[outlet]\nname = 'x'\n", "[outlet] id is required"),
    ("[outlet]\nid = 0\nname = 'x'\n", "[outlet] id must be > 0"),
    ("[outlet]\nid = 2\nname = 'x'\ntimezone = 'Mars/Olympus'\n", "timezone"),
    ("[outlet]\nid = 2\nname = 'x'\n[central]\nurl = 'https://hq'\n", "enrollment_token"),
    ("[outlet]\nid = 2\nname = 'x'\n[network]\nmode = 'static'\naddress = '10.1.1.1'\n", "address"),
    ("[outlet]\nid = 2\nname = 'x'\n[ssh]\nauthorized_keys = ['hunter2']\n", "authorized_keys"),
    ("[outlet]\nid = 2\nname = 'x'\n[wifi]\nssid = 'a'\npsk = 'short'\n", "psk"),
    ("[outlet\nid = 2\n", "not valid TOML"),
    ("[outlet]\nid = 2\nname = 'x'\n[surprise]\n", "unknown table"),
])
def test_a_broken_file_is_refused_with_a_message_naming_the_key(text: str, names: str) -> None:
    with pytest.raises(fb.OutletError, match=names.replace("[", r"\[").replace("]", r"\]")):
        fb.parse(text)


def test_scrubbing_removes_every_secret_and_keeps_the_rest() -> None:
    text = EXAMPLE.read_text() + '\n[wifi]\nssid = "Back"\npsk = "wifi-pass-123"\n' \
        '[mqtt.devices]\nkds-1 = "dev-secret"\n'
    text = text.replace("paste the single-use token from the admin panel here", "tok-123")
    cfg = fb.parse(text)
    assert cfg["wifi"]["psk"] == "wifi-pass-123"
    clean = fb.scrubbed(text)
    for secret in ("tok-123", "wifi-pass-123", "dev-secret"):
        assert secret not in clean
    assert "Yogya Mall Malioboro" in clean and 'ssid = "Back"' in clean


def test_configure_writes_into_an_image_file_without_mounting(tmp_path: Path) -> None:
    disk, fat = tmp_path / "disk.img", tmp_path / "boot.vfat"
    subprocess.run(["truncate", "-s", "80M", str(disk)], check=True)
    subprocess.run(["sfdisk", "--quiet", str(disk)], input="label: dos\nstart=1MiB, size=64MiB, type=c\n",
                   text=True, check=True)
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "HUBBOOT", "-C", str(fat), str(64 * 1024)],
                   check=True, capture_output=True)
    subprocess.run(["dd", f"if={fat}", f"of={disk}", "bs=1M", "seek=1", "conv=notrunc", "status=none"],
                   check=True)
    config = tmp_path / "outlet.toml"
    config.write_text(EXAMPLE.read_text().replace("paste the single-use token from the admin panel here",
                                                  "tok-secret"))
    out = subprocess.run([str(ROOT / "images" / "configure"), str(disk), str(config)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "outlet 1 (Yogya Mall Malioboro)" in out.stdout and "tok-secret" not in out.stdout
    back = subprocess.run(["mtype", "-i", f"{disk}@@{1024 * 1024}", "::/outlet.toml"],
                          capture_output=True, text=True, check=True,
                          env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"}).stdout
    assert "tok-secret" in back

    config.write_text("[outlet]\nid = 'seven'\n")
    out = subprocess.run([str(ROOT / "images" / "configure"), str(disk), str(config)],
                         capture_output=True, text=True, check=False)
    assert out.returncode != 0 and "[outlet] id" in out.stderr

    plain = tmp_path / "plain.img"
    subprocess.run(["truncate", "-s", "8M", str(plain)], check=True)
    subprocess.run(["sfdisk", "--quiet", str(plain)], input="label: dos\nstart=1MiB, type=83\n",
                   text=True, check=True)
    out = subprocess.run([str(ROOT / "images" / "configure"), str(plain), str(EXAMPLE)],
                         capture_output=True, text=True, check=False)
    assert out.returncode != 0 and "not an Outlet Hub boot partition" in out.stderr


def render_with_role(tmp_path: Path, variables: dict[str, object]) -> Path:
    """hub.toml as provisioning/firstboot.yml writes it: Ansible renders the role's template."""
    provisioning = ROOT / "provisioning"
    run_local_play(tmp_path, f"""
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {provisioning}/roles/outlet_hub/defaults/main.yml
    - {provisioning}/vars/outlet-roles.yml
  tasks:
    - ansible.builtin.template:
        src: {provisioning}/roles/outlet_hub/templates/hub.toml.j2
        dest: {tmp_path}/ansible-hub.toml
        mode: "0600"
""", variables)
    return tmp_path / "ansible-hub.toml"


def test_the_hub_part_of_first_boot_writes_what_the_outlet_hub_role_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast first-boot step (before the hub starts) and provisioning/firstboot.yml later
    must agree on hub.toml, or the hub would restart as another outlet. Both read the mapping
    in provisioning/vars/outlet-roles.yml; Ansible renders the role's template here."""
    import tomllib

    text = EXAMPLE.read_text().replace("paste the single-use token from the admin panel here", "tok-9")
    # An image built with RELEASE_PUBLIC_KEY: the role's template must keep that key, or
    # provisioning would restart the hub unable to take any update.
    baked = tmp_path / "hub.toml"
    baked.write_text((ROOT / "images" / "rootfs" / "etc" / "outlet-hub" / "hub.toml").read_text()
                     .replace('release_public_key = ""', f'release_public_key = "{RELEASE_KEY}"'))
    monkeypatch.setattr(fb, "HUB_TOML", baked)
    variables = fb.playbook_vars(fb.parse(text), "192.168.1.10", fb.hub_config_now()["release_public_key"])
    provisioning = ROOT / "provisioning"
    render_with_role(tmp_path, variables)
    by_ansible = tomllib.loads((tmp_path / "ansible-hub.toml").read_text())["hub"]

    monkeypatch.setattr(fb, "PROVISIONING", provisioning)
    monkeypatch.setattr(fb.shutil, "chown", lambda *a, **k: None)
    settings = fb.hub_settings(variables)
    assert {"outlet_id", "outlet_name", "hub_id", "central_url", "enrollment_token", "websocket_url",
            "allowed_networks", "client_token", "pairing", "manager_pin"} <= set(settings)
    fb.write_hub_toml(settings)
    by_first_boot = tomllib.loads(baked.read_text())["hub"]
    assert "notice" not in by_first_boot                  # the standalone notice is gone
    assert by_first_boot["outlet_id"] == 1 and by_first_boot["enrollment_token"] == "tok-9"
    assert by_first_boot["websocket_url"] == "ws://192.168.1.10:3001"
    assert by_first_boot["pairing"] == "required" and by_first_boot["manager_pin"] == "482916"
    assert by_first_boot["release_public_key"] == RELEASE_KEY
    assert by_first_boot["update_root"] == "/opt/outlet-hub"
    # Equal as a whole: the baked defaults are the role's, so provisioning changes no setting
    # and the hub is not restarted when it finishes.
    assert by_first_boot == by_ansible


def test_a_refused_file_shows_as_the_hubs_notice_and_keeps_its_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import tomllib

    baked = tmp_path / "hub.toml"
    shutil.copy(ROOT / "images" / "rootfs" / "etc" / "outlet-hub" / "hub.toml", baked)
    monkeypatch.setattr(fb, "HUB_TOML", baked)
    monkeypatch.setattr(fb, "STATE", tmp_path / "state")
    monkeypatch.setattr(fb, "PENDING", tmp_path / "state" / "pending.json")
    monkeypatch.setattr(fb, "say", lambda message: None)
    monkeypatch.setattr(fb.shutil, "chown", lambda *a, **k: None)
    before = tomllib.loads(baked.read_text())["hub"]
    fb.standalone("outlet.toml rejected: [outlet] id is required")
    after = tomllib.loads(baked.read_text())["hub"]
    assert after["notice"].startswith("NOT CONFIGURED: outlet.toml rejected: [outlet] id is required.")
    assert {k: v for k, v in after.items() if k != "notice"} == \
        {k: v for k, v in before.items() if k != "notice"}
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "outlet-hub"), "check-config", "--config", str(baked)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0 and "outlet.toml rejected" in out.stdout, out.stderr


def test_an_outlet_named_with_an_emoji_gets_a_hub_toml_the_hub_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON is not TOML: json.dumps("Warung 🍜") is "Warung \\ud83c\\udf5c", a surrogate escape
    tomllib refuses, and the hub never started. Both writers of hub.toml must keep it as text."""
    import shutil
    import tomllib

    text = EXAMPLE.read_text().replace('name = "Yogya Mall Malioboro"', 'name = "Warung 🍜 \\"Bu Tini\\""')
    variables = fb.playbook_vars(fb.parse(text), "192.168.1.10")
    assert variables["outlet_name"] == 'Warung 🍜 "Bu Tini"'

    baked = tmp_path / "hub.toml"
    shutil.copy(ROOT / "images" / "rootfs" / "etc" / "outlet-hub" / "hub.toml", baked)
    monkeypatch.setattr(fb, "HUB_TOML", baked)
    monkeypatch.setattr(fb, "PROVISIONING", ROOT / "provisioning")
    monkeypatch.setattr(fb.shutil, "chown", lambda *a, **k: None)
    fb.write_hub_toml(fb.hub_settings(variables))
    by_ansible = render_with_role(tmp_path, variables)
    hub_cli = str(ROOT / ".venv" / "bin" / "outlet-hub")
    for written in (baked, by_ansible):
        loaded = tomllib.loads(written.read_text(encoding="utf-8"))["hub"]
        assert loaded["outlet_name"] == 'Warung 🍜 "Bu Tini"'
        out = subprocess.run([hub_cli, "check-config", "--config", str(written)],
                             capture_output=True, text=True, check=False)
        assert out.returncode == 0, f"{written.name}: {out.stderr}"


def test_the_manager_pin_is_checked_applied_and_scrubbed() -> None:
    cfg = fb.parse(EXAMPLE.read_text())
    assert cfg["hub_manager_pin"] == "482916" and cfg["hub_pairing"] == "required"
    assert fb.playbook_vars(cfg, "192.168.1.10")["hub_manager_pin"] == "482916"
    assert "482916" not in fb.scrubbed(EXAMPLE.read_text())
    for bad, names in (("manager_pin = 4829", "wrong type"), ('manager_pin = "12"', "4 to 12 digits"),
                       ('manager_pin = "482916"\npairing = "maybe"', "pairing")):
        broken = EXAMPLE.read_text().replace('manager_pin = "482916"', bad)
        with pytest.raises(fb.OutletError, match=names):
            fb.parse(broken)


def test_outlet_toml_may_name_the_release_key_and_a_malformed_one_is_refused() -> None:
    """[hub] release_public_key (fleet updates, decision 1101) reaches the role's variable and
    wins over the key baked into the image; a PEM or a truncated key is refused at IT's desk."""
    cfg = fb.parse(EXAMPLE.read_text())
    assert "outlet_hub_release_public_key" not in fb.playbook_vars(cfg, "192.168.1.10")
    assert fb.playbook_vars(cfg, "192.168.1.10", "baked")["outlet_hub_release_public_key"] == "baked"
    text = EXAMPLE.read_text().replace('manager_pin = "482916"',
                                       f'manager_pin = "482916"\nrelease_public_key = "{RELEASE_KEY}"')
    cfg = fb.parse(text)
    assert fb.playbook_vars(cfg, "192.168.1.10", "baked")["outlet_hub_release_public_key"] == RELEASE_KEY
    assert RELEASE_KEY in fb.scrubbed(text)          # public: it stays for IT to read
    for bad in ("-----BEGIN PUBLIC KEY-----", RELEASE_KEY[:-4] + "=", "not base64!"):
        broken = text.replace(RELEASE_KEY, bad)
        with pytest.raises(fb.OutletError, match="release_public_key"):
            fb.parse(broken)
