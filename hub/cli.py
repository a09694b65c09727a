"""`outlet-hub`: run the hub, check a config, migrate the database, back it up."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub import __version__
from hub.config import ConfigError, HubConfig, load
from hub.journal import configure_logging

if TYPE_CHECKING:
    import asyncio

# CLI flags that map 1:1 onto config keys (the highest-precedence layer).
_FLAGS: dict[str, tuple[str, type]] = {
    "--outlet-id": ("outlet_id", int), "--hub-id": ("hub_id", str),
    "--data-dir": ("data_dir", str), "--bind": ("bind", str), "--ws-port": ("ws_port", int),
    "--http-port": ("http_port", int), "--https-port": ("https_port", int),
    "--mqtt-url": ("mqtt_url", str),
    "--central-url": ("central_url", str), "--websocket-url": ("websocket_url", str),
    "--log-level": ("log_level", str),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outlet-hub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"outlet-hub {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("run", "serve the outlet (WebSocket, HTTP, MQTT, ops)"),
                       ("check-config", "validate a configuration and print it (secrets hidden)"),
                       ("migrate", "apply database migrations and exit")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--config", "-c", help="TOML file (default: $HUB_CONFIG)")
        for flag, (_key, kind) in _FLAGS.items():
            cmd.add_argument(flag, type=kind)
    pair = sub.add_parser("pair", help="approve (or --reject) a screen's 6-digit pairing code")
    pair.add_argument("code")
    pair.add_argument("--reject", action="store_true")
    devices = sub.add_parser("devices", help="list paired screens and pending codes")
    devices.add_argument("--revoke", metavar="ID", help="revoke a device's token")
    for cmd in (pair, devices):
        cmd.add_argument("--config", "-c", help="TOML file (default: $HUB_CONFIG)")
        cmd.add_argument("--data-dir")
    backup = sub.add_parser("backup", help="online backup of the hub's SQLite database, keep N")
    backup.add_argument("--config", "-c", help="TOML file (default: $HUB_CONFIG)")
    backup.add_argument("--data-dir")
    backup.add_argument("--dest", required=True, help="directory of backups")
    backup.add_argument("--keep", type=int, default=7, help="newest backups kept (7)")
    backup.add_argument("--upload", action="store_true",
                        help="also send the new backup to central (best effort)")
    restore = sub.add_parser("restore", help="put a backup back on a stopped hub")
    restore.add_argument("file", help="a file written by `outlet-hub backup`")
    restore.add_argument("--config", "-c", help="TOML file (default: $HUB_CONFIG)")
    restore.add_argument("--data-dir")
    restore.add_argument("--without-central", action="store_true",
                         help="do not ask central what it has seen (ids/revs may repeat)")
    return parser


def _load(args: argparse.Namespace) -> HubConfig:
    overrides: dict[str, Any] = {key: getattr(args, flag[2:].replace("-", "_"), None)
                                 for flag, (key, _k) in _FLAGS.items()}
    return load(args.config, overrides=overrides)


def _describe(cfg: HubConfig) -> str:
    hidden = {"mqtt_password", "enrollment_token", "client_token", "manager_pin"}
    lines = []
    for key, value in sorted(vars(cfg).items()):
        if key in hidden:
            value = "(set)" if value else "(not set)"
        lines.append(f"  {key} = {value}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        cfg = _load(args)
    except ConfigError as exc:
        print(f"outlet-hub: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(cfg.log_level)
    if args.command == "backup":
        from hub.sqlite_backup import backup_sqlite
        try:
            written = backup_sqlite(cfg.db_path, Path(args.dest), "hub-", args.keep)
        except (OSError, ValueError, sqlite3.Error) as exc:
            print(f"outlet-hub: backup failed: {exc}", file=sys.stderr)
            return 1
        print(written)
        if args.upload:
            from hub.backup_upload import UploadError, upload_backup
            try:
                print(f"uploaded to central as {upload_backup(cfg, written)['stored']}")
            except UploadError as exc:
                # The local copy is the promise; the next backup tries the upload again.
                print(f"outlet-hub: warning: {exc}", file=sys.stderr)
        return 0
    if args.command == "restore":
        from hub.restore import RestoreError, restore
        try:
            order_id, rev = restore(cfg, Path(args.file), args.without_central)
        except (RestoreError, OSError, sqlite3.Error) as exc:
            print(f"outlet-hub: restore refused: {exc}", file=sys.stderr)
            return 1
        print(f"restored {args.file}; new orders continue above id {order_id}, rev {rev}")
        return 0
    if args.command == "check-config":
        print(f"configuration OK for outlet {cfg.outlet_id} ({cfg.effective_hub_id}):")
        print(_describe(cfg))
        return 0
    if args.command in ("pair", "devices"):
        from hub import console
        if args.command == "pair":
            return console.pair(cfg, args.code, approve=not args.reject)
        return console.devices(cfg, args.revoke)
    if args.command == "migrate":
        from hub.store import migrate
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        migrate(cfg.db_path)
        print(f"database at {cfg.db_path} is up to date")
        return 0
    # The start path, spawn → /health 200 (decision 1901, addendum "start ≤ 0.5 s"):
    # - the cyclic collector stays off while the serving hub's modules are imported: ~100k
    #   objects, no garbage among them, which it would otherwise walk again and again
    #   (young generations by the hundred and a full pass). They are frozen as
    #   `freeze_startup_objects` freezes the rest at start, and the collector is back on
    #   before the loop runs;
    # - migrations (alembic) run in a short-lived child, so the serving process never
    #   imports them. It is forked once the store (SQLAlchemy) is imported, which it shares,
    #   and before the rest (asyncio's loop, aiohttp, the hub's apps), which the parent
    #   imports meanwhile. serve() still checks, and migrates in-process if the child could
    #   not.
    gc.disable()
    try:
        from hub.store.engine import start_migration
        child = start_migration(cfg.db_path)
        import asyncio

        from hub.app import serve
        if child is not None:
            child.wait()
    finally:
        gc.freeze()
        gc.enable()
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(serve(cfg))
    except OSError as exc:
        logging.getLogger("hub").error("cannot start: %s", exc)
        return 1
    return 0


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is installed and not turned off (`HUB_EVENT_LOOP=asyncio`).

    Why: at 1,000 orders/s the loop's own socket writes and callbacks are a third of the
    hub's CPU (profile in bench/results/, decision 1901); libuv does them in C. Without
    uvloop (Windows, a trimmed install) the hub runs on asyncio's loop, same behaviour.
    """
    if os.environ.get("HUB_EVENT_LOOP", "uvloop").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
