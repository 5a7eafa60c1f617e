"""membank-cli: the terminal commands (chat, ask, memories, archive, models, backup, doctor)."""
