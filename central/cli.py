"""`outlet-central`: run, migrate, create-admin, enroll, seed-demo, backup, restore, pki.

The stores are imported inside the commands so a missing `central` extra is reported, not raised.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import importlib.util
import json
import sys
import time

from sqlalchemy import Engine

from central import __version__
from central.config import CentralConfig, ConfigError, load
from hub.journal import configure_logging

# argon2 hashes anything, but a password longer than this is a paste accident.
MAX_PASSWORD = 1024


def _engine(cfg: CentralConfig) -> Engine:
    from central.store import database
    engine = database.make_engine(cfg.database_url)
    database.migrate(engine)
    return engine


def _read_password() -> str | None:
    """Prompted twice on a terminal; otherwise the first line of stdin (a pipe or a file)."""
    if sys.stdin.isatty():
        first = getpass.getpass("New admin password: ")
        if getpass.getpass("Repeat it: ") != first:
            print("outlet-central: the passwords differ", file=sys.stderr)
            return None
        return first
    return sys.stdin.readline(MAX_PASSWORD + 2).rstrip("\r\n")


def _backup_command(args: argparse.Namespace, cfg: CentralConfig) -> int:
    import subprocess
    from pathlib import Path

    from central import backup
    try:
        if args.command == "backup":
            print(backup.backup(cfg.database_url, Path(args.dest), args.keep))
        else:
            backup.restore(cfg.database_url, Path(args.file))
            print(f"restored {args.file}; run `outlet-central migrate`, then start central")
    except subprocess.CalledProcessError as exc:
        print(f"outlet-central: {exc.cmd[0]} failed: {exc.stderr.strip()}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"outlet-central: {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _pki_command(action: str, cfg: CentralConfig) -> int:
    """`outlet-central pki rotate|rekey|show` (decision 1001)."""
    from datetime import UTC, datetime

    from central.config import pki_new_key
    from central.store.pki import PkiStore
    if not cfg.pki_key:
        print("outlet-central: CENTRAL_PKI_KEY is not set", file=sys.stderr)
        return 2
    store = PkiStore(_engine(cfg), cfg.pki_key, cfg.pki_domain)
    now = datetime.now(UTC)
    try:
        store.ensure_authority(now)
        if action == "rotate":
            print(f"new LAN CA sha256 {store.rotate(now)}; hubs renew at their next heartbeat")
        elif action == "rekey":
            count = store.rekey(pki_new_key())
            print(f"{count} CA key(s) sealed with CENTRAL_PKI_NEW_KEY; set it as CENTRAL_PKI_KEY")
        else:
            print(store.bundle(now).decode(), end="")
    except ConfigError as exc:
        print(f"outlet-central: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"outlet-central: cannot open the CA key ({exc}); is CENTRAL_PKI_KEY right?",
              file=sys.stderr)
        return 1
    return 0


def _publish(args: argparse.Namespace, cfg: CentralConfig) -> int:
    """Check the bundle as a hub will (signature, manifest), then store it."""
    from pathlib import Path

    from central.store.releases import ReleaseStore
    from hub.release_install import read_manifest
    from outlet_protocol.bundle import BundleError
    from outlet_protocol.errors import ProtocolError
    path = Path(args.bundle)
    try:
        manifest = read_manifest(path, args.public_key or cfg.release_public_key)
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
        with path.open("rb") as fh:
            stored = ReleaseStore(_engine(cfg)).publish(
                manifest.version, digest.hexdigest(), path.stat().st_size,
                json.loads(manifest.to_bytes()), fh, time.time())
    except (BundleError, ProtocolError, OSError) as exc:
        print(f"outlet-central: release refused: {exc}", file=sys.stderr)
        return 1
    print(f"release {manifest.version} {'published' if stored else 'was already published'}"
          f" ({path.stat().st_size} bytes, sha256 {digest.hexdigest()})")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="outlet-central", description=__doc__)
    p.add_argument("--version", action="version", version=__version__)
    p.add_argument("--database-url", help="overrides CENTRAL_DATABASE_URL")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the HQ API, admin panel and /metrics")
    run.add_argument("--port", type=int, help="overrides CENTRAL_PORT (8000)")
    run.add_argument("--bind", help="overrides CENTRAL_BIND (0.0.0.0)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    admin = sub.add_parser("create-admin", help="create an admin user (or reset its password)")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", help="discouraged (visible in ps and shell history); "
                       "without it the password is prompted for, or read from stdin's first line")
    enroll = sub.add_parser("enroll", help="print a single-use hub enrollment token")
    enroll.add_argument("--outlet", type=int, required=True)
    enroll.add_argument("--ttl", type=float, help="seconds the token stays valid")
    sub.add_parser("seed-demo", help="create the demo food court (idempotent)")
    bk = sub.add_parser("backup", help="write a backup (pg_dump / SQLite online backup), keep N")
    bk.add_argument("--dest", required=True, help="directory of backups")
    bk.add_argument("--keep", type=int, default=14, help="newest backups kept (14)")
    pk = sub.add_parser("pki", help="the LAN CA: rotate it, or reseal its key (CENTRAL_PKI_KEY)")
    pk.add_argument("action", choices=("rotate", "rekey", "show"),
                    help="rotate: new CA, old one trusted until it expires; rekey: seal the "
                         "keys with CENTRAL_PKI_NEW_KEY; show: print the CA bundle")
    rs = sub.add_parser("restore", help="replace the database with a backup (central stopped)")
    rs.add_argument("file", help="a file written by `outlet-central backup`")
    rel = sub.add_parser("release", help="hub releases (decision 1101)")
    rel_sub = rel.add_subparsers(dest="release_command", required=True)
    pub = rel_sub.add_parser("publish", help="store a signed bundle made by `make hub-bundle`")
    pub.add_argument("bundle", help="outlet-hub-<version>.bundle")
    pub.add_argument("--public-key", help="overrides CENTRAL_RELEASE_PUBLIC_KEY")
    return p


def _missing_extra() -> list[str]:
    """Modules of the `central` extra that are not installed."""
    return [m for m in ("argon2", "psycopg") if importlib.util.find_spec(m) is None]


def main(argv: list[str] | None = None) -> int:
    """Entry point of `outlet-central` and `python -m central`."""
    args = _parser().parse_args(argv)
    missing = _missing_extra()
    if missing:
        print(f"outlet-central: {', '.join(missing)} missing; install 'outlet-hub[central]'",
              file=sys.stderr)
        return 2
    try:
        cfg = load(database_url=args.database_url,
                   port=getattr(args, "port", None), bind=getattr(args, "bind", None))
    except ConfigError as exc:
        print(f"outlet-central: {exc}", file=sys.stderr)
        return 2
    configure_logging(cfg.log_level)
    if args.command == "run":
        from central.web.app import run
        run(cfg)
        return 0
    if args.command == "migrate":
        _engine(cfg).dispose()
        print("migrations applied")
        return 0
    if args.command == "create-admin":
        password = args.password
        if password is not None:
            print("outlet-central: warning: --password is visible to other users (ps) and in "
                  "shell history; prefer the prompt or stdin", file=sys.stderr)
        else:
            password = _read_password()
        if not password or len(password) > MAX_PASSWORD:
            print(f"outlet-central: the password must be 1..{MAX_PASSWORD} characters",
                  file=sys.stderr)
            return 2
        from central.store.accounts import AccountStore
        engine = _engine(cfg)
        created = AccountStore(engine).create_admin(args.username, password, time.time())
        print(f"admin {args.username} {'created' if created else 'password updated'}")
        return 0
    if args.command == "enroll":
        from central.store.fleet import FleetStore
        engine = _engine(cfg)
        fleet = FleetStore(engine, cfg.hub_offline_after)
        if not fleet.outlet_exists(args.outlet):
            print(f"outlet-central: outlet {args.outlet} does not exist", file=sys.stderr)
            return 1
        token, expires = fleet.create_enrollment_token(args.outlet, time.time(),
                                                       args.ttl or cfg.enrollment_ttl)
        print(f"enrollment token for outlet {args.outlet}, valid until "
              f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(expires))}:")
        print(token)
        return 0
    if args.command == "pki":
        return _pki_command(args.action, cfg)
    if args.command in ("backup", "restore"):
        return _backup_command(args, cfg)
    if args.command == "release":
        return _publish(args, cfg)
    if args.command == "seed-demo":
        from central.demo import seed_demo
        for line in seed_demo(_engine(cfg), cfg):
            print(line)
        return 0
    return 2
