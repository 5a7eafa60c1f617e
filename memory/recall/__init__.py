"""Recall: hybrid retrieval (vectors + FTS5), fusion, time cues, neighbours, prompt assembly."""
