"""Storage: SQLite through aiosqlite, one module per aggregate.

Imports nothing of bot/ or handlers/; stores ISO dates and codes, not Persian formatting.
"""
