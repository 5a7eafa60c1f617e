"""Storage: the SQLite store (source of truth), its schema, audit log, the Chroma index, repair."""
