"""membank-mcp: membank's memory for other AI apps over the Model Context Protocol."""
