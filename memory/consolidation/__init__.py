"""Consolidation and reflection: summaries, facts, persona and insights, grounded."""
