"""The services the GUI and the CLI share, one job each: chat, curation, archive, privacy."""
