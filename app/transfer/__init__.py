"""Data in and out of the app: other apps' formats, recorded conversations, backups."""
