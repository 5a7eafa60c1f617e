"""Chat engines: llama.cpp in-process and OpenAI-compatible servers."""
