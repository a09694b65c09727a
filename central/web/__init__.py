"""aiohttp adapters: thin handlers that parse, authorise, call a store and answer JSON."""
