"""Answer engine: retrieval, extractive and LLM answers, citations, fact-checking, CLI."""
