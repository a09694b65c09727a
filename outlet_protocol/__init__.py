"""The order protocol hub, central and the browser tests share: schema, rules and decisions.

Sans-I/O: nothing here imports hub, central, aiohttp, SQLAlchemy, paho or asyncio, so the
rules are tested by calling functions and both servers decide the same way.
"""
