"""The tables, in SQLAlchemy Core; alembic migrations in central/migrations create them.

Times central decides (expiry, last seen, received) are epoch seconds as floats: the same
on SQLite and PostgreSQL, cheap to compare. Times that travel on the wire stay ISO strings
inside the order body.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids for orders.
BigId = BigInteger().with_variant(Integer, "sqlite")

server_secrets = Table(
    "server_secrets", metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

menu_state = Table(
    "menu_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

outlets = Table(
    "outlets", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address", Text, nullable=False, default=""),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("websocket_url", String(255), nullable=False),
    Column("websocket_url_source", String(10), nullable=False, default="default"),
    # The apps' language/number formats and money of the outlet, cached by its hub (0901).
    Column("locale", String(16), nullable=False, default="id-ID", server_default="id-ID"),
    Column("currency", String(3), nullable=False, default="IDR", server_default="IDR"),
    # The outlet's trading day (issue 14): it starts at day_starts_at in its IANA zone.
    Column("day_starts_at", String(5), nullable=False, default="04:00"),
    Column("timezone", String(64), nullable=False, default="Asia/Jakarta"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)


def _versioned(name: str, *cols: Column[object]) -> Table:
    """A master-data table: every write takes the next global version; deletes are tombstones."""
    return Table(
        name, metadata,
        Column("id", Integer, primary_key=True),
        *cols,
        Column("version", BigInteger, nullable=False, index=True),
        Column("deleted", Boolean, nullable=False, default=False),
        Column("updated_at", Float, nullable=False),
    )


tenants = _versioned(
    "tenants",
    Column("outlet_id", Integer, ForeignKey("outlets.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("stations", JSON, nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
)

# Kitchen printers of an outlet (issue 18): synced to its hub with the menu, where
# hub.printing.config checks them again; the columns are the [[printers]] keys.
printers = _versioned(
    "printers",
    Column("outlet_id", Integer, ForeignKey("outlets.id"), nullable=False, index=True),
    Column("name", String(24), nullable=False),
    Column("url", String(200), nullable=False),
    Column("width_mm", Integer, nullable=False),
    Column("tenants", JSON, nullable=False),
    Column("stations", JSON, nullable=False),
    Column("prints", JSON, nullable=False),
    Column("backup", String(24), nullable=False),
    Column("backup_after_seconds", Float, nullable=False),
    Column("hold_after_minutes", Float, nullable=False),
    Column("status_query", Boolean, nullable=False),
)

categories = _versioned(
    "categories",
    Column("tenant_id", Integer, nullable=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("sort_order", Integer, nullable=False, default=0),
)

products = _versioned(
    "products",
    Column("tenant_id", Integer, nullable=False, index=True),
    Column("category_id", Integer, nullable=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("price", String(32), nullable=False),
    Column("station", String(50), nullable=True),
    Column("image", String(500), nullable=True),
    Column("is_available", Boolean, nullable=False, default=True),
    # Issue 14: option groups with price deltas (outlet_protocol.modifiers) and whether a
    # customer may write a note for the kitchen on this product.
    Column("modifier_groups", JSON, nullable=False, default=list),
    Column("allow_notes", Boolean, nullable=False, default=False),
)

promotions = _versioned(
    "promotions",
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("discount_percent", String(16), nullable=False),
    Column("product_id", Integer, nullable=True),
    Column("tenant_id", Integer, nullable=True),
    Column("start_date", String(40), nullable=True),
    Column("end_date", String(40), nullable=True),
    Column("is_active", Boolean, nullable=False, default=True),
)

hubs = Table(
    "hubs", metadata,
    Column("id", Integer, primary_key=True),
    Column("hub_id", String(64), nullable=False, unique=True),
    Column("outlet_id", Integer, ForeignKey("outlets.id"), nullable=False, index=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("version", String(40), nullable=False, default=""),
    Column("addresses", JSON, nullable=False),
    Column("http_url", String(255), nullable=True),
    Column("websocket_url", String(255), nullable=True),
    Column("metrics_port", Integer, nullable=False, default=3002),
    Column("registered_at", Float, nullable=False),
    Column("last_seen", Float, nullable=True),
    Column("last_heartbeat", JSON, nullable=True),
    # Set by the offline sweep when it announced this hub offline; a later heartbeat
    # (last_seen > it) makes the hub eligible again.
    Column("offline_announced_at", Float, nullable=True),
)

enrollment_tokens = Table(
    "enrollment_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("outlet_id", Integer, ForeignKey("outlets.id"), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
    Column("used_by_hub", String(64), nullable=True),
)

admin_users = Table(
    "admin_users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
)

admin_sessions = Table(
    "admin_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("admin_users.id"), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

orders = Table(
    "orders", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("uuid", String(100), nullable=False, unique=True),
    Column("outlet_id", Integer, nullable=False),
    Column("tenant_id", Integer, nullable=True),
    Column("order_number", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("origin", String(10), nullable=False),
    Column("source", String(32), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Column("hub_id", String(64), nullable=True),
    Column("hub_order_id", BigInteger, nullable=True),
    Column("last_rev", BigInteger, nullable=True),
    Column("total_amount", String(32), nullable=False),
    Column("received_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_orders_outlet_id_id", "outlet_id", "id"),
)

order_events = Table(
    "order_events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_uuid", String(100), nullable=False),
    Column("rev", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("at", String(40), nullable=False),
    Column("by", String(100), nullable=True),
    Column("reason", String(200), nullable=True),
    Column("hub_id", String(64), nullable=True),
    Column("received_at", Float, nullable=False),
    UniqueConstraint("order_uuid", "rev", name="uq_order_events_uuid_rev"),
)

order_conflicts = Table(
    "order_conflicts", metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(100), nullable=False, index=True),
    Column("outlet_id", Integer, nullable=False),
    Column("hub_id", String(64), nullable=True),
    Column("stored_fingerprint", String(64), nullable=False),
    Column("incoming_fingerprint", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Column("received_at", Float, nullable=False),
)


# Orders a hub set aside for good (issue 13), as the hub reported them: central refused
# them (400/413, invalid, conflict) or the hub refused an online order. Shown to the admin.
hub_dead_letters = Table(
    "hub_dead_letters", metadata,
    Column("id", Integer, primary_key=True),
    Column("hub_id", String(64), nullable=False),
    Column("outlet_id", Integer, nullable=False, index=True),
    Column("source", String(16), nullable=False),
    Column("key", String(100), nullable=False),
    Column("code", String(32), nullable=False),
    Column("reason", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("at", String(40), nullable=False),
    Column("received_at", Float, nullable=False),
    UniqueConstraint("hub_id", "source", "key", name="uq_hub_dead_letters_hub_source_key"),
)

# HQ's private CA for outlet LANs (decision 1001): the certificate in clear, the key as
# encrypted PKCS#8 (CENTRAL_PKI_KEY). One row is active; retired ones stay in the bundle
# until they expire so hub certificates they signed keep verifying during a rotation.
pki_authorities = Table(
    "pki_authorities", metadata,
    Column("id", Integer, primary_key=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("cert_pem", Text, nullable=False),
    Column("sealed_key", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("not_after", Float, nullable=False),
    Column("retired_at", Float, nullable=True),
)

# Every certificate issued to a hub: who holds which serial until when (audit, fleet view).
pki_certificates = Table(
    "pki_certificates", metadata,
    Column("id", Integer, primary_key=True),
    Column("serial", String(40), nullable=False, unique=True),
    Column("hub_id", String(64), nullable=False, index=True),
    Column("authority_fingerprint", String(64), nullable=False),
    Column("names", JSON, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("not_after", Float, nullable=False),
)

# Hub releases (decision 1101): one row per published bundle, its bytes in 1 MiB chunks so
# a Range request reads only what it needs and every central process serves the same file.
hub_releases = Table(
    "hub_releases", metadata,
    Column("version", String(40), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("manifest", JSON, nullable=False),
    Column("chunk_size", Integer, nullable=False),
    Column("published_at", Float, nullable=False),
)

hub_release_chunks = Table(
    "hub_release_chunks", metadata,
    Column("version", String(40), ForeignKey("hub_releases.version"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# The one rollout in force (id = 1): which release, which ring; generation bumps on change.
release_rollout = Table(
    "release_rollout", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", String(40), ForeignKey("hub_releases.version"), nullable=False),
    Column("ring", String(10), nullable=False),
    Column("canary_outlets", JSON, nullable=False),
    Column("percentage", Integer, nullable=False),
    Column("force", Boolean, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(100), nullable=False),
)
