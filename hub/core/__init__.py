"""The hub's own rules with no I/O: message envelopes, rate limits, supervision, frames.

The order rules hub and central share (validation, fingerprint, status machine, feed and
outbox decisions, pricing) are `outlet_protocol`; nothing in either imports aiohttp,
paho, SQLAlchemy or asyncio, so every rule is tested by calling plain functions.
"""
