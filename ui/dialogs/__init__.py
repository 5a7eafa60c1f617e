"""Dialogs: settings, models, persona, backups, privacy, search, quick capture, first run."""
