"""The documented archive format: write, read, validate, restore."""
