"""Adapters to the local models: the llama.cpp chat model and the sentence-transformers embedder."""
