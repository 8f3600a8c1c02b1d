"""Local accounts, sessions and tokens through the HTTP API, on SQLite and PostgreSQL."""
