#!/usr/bin/python
"""Keep a mosquitto password file in step with a list of accounts, idempotently."""

from __future__ import annotations

DOCUMENTATION = r"""
module: mosquitto_passwords
short_description: Keep a mosquitto password file in step with a list of accounts
description:
  - Reads the existing file and checks every account's hash (mosquitto 2 PBKDF2-SHA512 C($7$),
    or C($6$) SHA512) against the wanted password. Only when an account is missing, extra or
    has another password is the file rebuilt, with C(mosquitto_passwd -U) on a private
    plaintext copy in the same directory, so passwords never appear on a command line.
options:
  path: {description: Password file to manage., type: path, required: true}
  users:
    description: Accounts, each a dict with name and password.
    type: list
    elements: dict
    required: true
  owner: {description: Owner of the file., type: str, default: root}
  group: {description: Group of the file., type: str, default: mosquitto}
  mode: {description: Mode of the file., type: raw, default: "0640"}
  mosquitto_passwd: {description: The mosquitto_passwd binary., type: path, default: /usr/bin/mosquitto_passwd}
"""

import base64
import hashlib
import hmac
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def hash_matches(password: str, stored: str) -> bool:
    """True when `stored` (mosquitto's $7$ or $6$ format) is a hash of `password`."""
    parts = stored.split("$")
    try:
        if len(parts) == 5 and parts[1] == "7":
            salt = base64.b64decode(parts[3])
            digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
        elif len(parts) == 4 and parts[1] == "6":
            salt = base64.b64decode(parts[2])
            digest = hashlib.sha512(password.encode() + salt).digest()
        else:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(base64.b64encode(digest).decode(), parts[-1])


def read_entries(path: str) -> dict[str, str]:
    """username -> stored hash; empty when the file does not exist."""
    entries: dict[str, str] = {}
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and ":" in line:
                name, stored = line.split(":", 1)
                entries[name] = stored
    return entries


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "users": {"type": "list", "elements": "dict", "required": True, "no_log": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "mosquitto"},
            "mode": {"type": "raw", "default": "0640"},
            "mosquitto_passwd": {"type": "path", "default": "/usr/bin/mosquitto_passwd"},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    wanted = {u["name"]: str(u["password"]) for u in module.params["users"]}
    current = read_entries(path)
    stale = sorted(name for name, password in wanted.items()
                   if name not in current or not hash_matches(password, current[name]))
    extra = sorted(set(current) - set(wanted))
    changed = bool(stale or extra) or not os.path.exists(path)
    if changed and not module.check_mode:
        directory = os.path.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".passwd-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for name, password in sorted(wanted.items()):
                    handle.write(f"{name}:{password}\n")
            # -U would hash an existing hash again, so every account is rewritten from plaintext.
            module.run_command([module.params["mosquitto_passwd"], "-U", tmp], check_rc=True)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    file_args = module.load_file_common_arguments(
        {"path": path, "owner": module.params["owner"], "group": module.params["group"],
         "mode": module.params["mode"]})
    if os.path.exists(path):
        changed = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(changed=changed, updated=stale, removed=extra)


if __name__ == "__main__":
    main()
