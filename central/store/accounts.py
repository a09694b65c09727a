"""Admin users and their sessions, and the server secret display tokens derive from."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from central.core import credentials
from central.store.schema import admin_sessions, admin_users, server_secrets


@dataclass(frozen=True)
class AdminPrincipal:
    """A logged-in admin."""

    user_id: int
    username: str


class AccountStore:
    """Queries for admin accounts, sessions and server secrets."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_admin(self, username: str, password: str, now: float) -> bool:
        """Create the admin, or reset its password; True when newly created."""
        hashed = credentials.hash_password(password)
        with self.engine.begin() as conn:
            done = conn.execute(update(admin_users).where(admin_users.c.username == username)
                                .values(password_hash=hashed))
            if done.rowcount:
                return False
            conn.execute(insert(admin_users).values(username=username, password_hash=hashed,
                                                    created_at=now))
            return True

    def login(self, username: str, password: str, now: float,
              ttl: float) -> tuple[str, float] | None:
        """(bearer token, expires_at) for right credentials, else None."""
        with self.engine.connect() as conn:
            user = conn.execute(select(admin_users).where(admin_users.c.username == username)
                                ).first()
        if user is None:
            # Same work for an unknown user, so timing does not reveal which usernames exist.
            credentials.verify_password(_DUMMY_HASH, password)
            return None
        if not credentials.verify_password(user.password_hash, password):
            return None
        token = credentials.new_token(credentials.ADMIN)
        with self.engine.begin() as conn:
            conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at < now))
            conn.execute(insert(admin_sessions).values(
                user_id=user.id, token_digest=credentials.digest(token), created_at=now,
                expires_at=now + ttl))
        return token, now + ttl

    def authenticate_admin(self, token: str, now: float) -> AdminPrincipal | None:
        """The admin a bearer token belongs to while it has not expired, else None."""
        if not token.startswith(credentials.ADMIN):
            return None
        wanted = credentials.digest(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(admin_sessions.c.token_digest, admin_sessions.c.expires_at,
                       admin_users.c.id, admin_users.c.username)
                .join(admin_users, admin_users.c.id == admin_sessions.c.user_id)
                .where(admin_sessions.c.token_digest == wanted)).first()
        if row is None or row.expires_at <= now or not credentials.same(row.token_digest, wanted):
            return None
        return AdminPrincipal(row.id, row.username)

    def logout(self, token: str) -> None:
        """Revoke one admin token."""
        with self.engine.begin() as conn:
            conn.execute(delete(admin_sessions).where(
                admin_sessions.c.token_digest == credentials.digest(token)))

    def secret(self, name: str) -> str:
        """A server secret, created on first use (first writer wins across processes)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(server_secrets.c.value)
                                 .where(server_secrets.c.name == name)).scalar()
        if value is not None:
            return str(value)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(server_secrets).values(name=name,
                                                           value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process created it first; read theirs below
        with self.engine.connect() as conn:
            return str(conn.execute(select(server_secrets.c.value)
                                    .where(server_secrets.c.name == name)).scalar_one())


_DUMMY_HASH = credentials.hash_password("not-a-real-password")
