"""Answering: question analysis, candidates, the learned reader, follow-ups, the engine."""
