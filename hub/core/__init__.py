"""The hub's rules with no I/O: order validation, status machine, feed selection, outbox policy.

Nothing here imports aiohttp, paho, SQLAlchemy or asyncio, so every rule is tested by
calling plain functions (the way `websockets` keeps its protocol sans-I/O).
"""
