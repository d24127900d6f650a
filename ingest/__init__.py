"""Ingest: load raw files, repair scraped text, normalize, and split into chunks."""
