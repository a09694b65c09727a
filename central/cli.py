"""`outlet-central`: run, migrate, create-admin, enroll, seed-demo."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from sqlalchemy import Engine

from central import __version__
from central.config import CentralConfig, ConfigError, load
from central.store import database
from central.store.accounts import AccountStore
from central.store.fleet import FleetStore


def _engine(cfg: CentralConfig) -> Engine:
    engine = database.make_engine(cfg.database_url)
    database.migrate(engine)
    return engine


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
    admin.add_argument("--password", required=True)
    enroll = sub.add_parser("enroll", help="print a single-use hub enrollment token")
    enroll.add_argument("--outlet", type=int, required=True)
    enroll.add_argument("--ttl", type=float, help="seconds the token stays valid")
    sub.add_parser("seed-demo", help="create the demo food court (idempotent)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `outlet-central` and `python -m central`."""
    args = _parser().parse_args(argv)
    try:
        cfg = load(database_url=args.database_url,
                   port=getattr(args, "port", None), bind=getattr(args, "bind", None))
    except ConfigError as exc:
        print(f"outlet-central: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=cfg.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "run":
        from central.web.app import run
        run(cfg)
        return 0
    if args.command == "migrate":
        _engine(cfg).dispose()
        print("migrations applied")
        return 0
    if args.command == "create-admin":
        engine = _engine(cfg)
        created = AccountStore(engine).create_admin(args.username, args.password, time.time())
        print(f"admin {args.username} {'created' if created else 'password updated'}")
        return 0
    if args.command == "enroll":
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
    if args.command == "seed-demo":
        from central.demo import seed_demo
        for line in seed_demo(_engine(cfg), cfg):
            print(line)
        return 0
    return 2
