"""Model files: discovery on disk, the catalog, downloads, GGUF metadata, hardware fit."""
