"""Persistence: SQLAlchemy Core tables, the engine, migrations and the queries behind the API."""
