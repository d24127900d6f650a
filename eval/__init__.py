"""Evaluation: question sets and benchmark runners over the same engine."""
