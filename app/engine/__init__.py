"""The engines: loading and swapping the chat model and embedder, applying settings."""
