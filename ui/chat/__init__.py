"""The chat panel pieces: input box, transcript rendering, the LLM worker thread."""
