"""The memory domain: records, SQLite store, Chroma index, decay, retrieval and prompt assembly."""
