"""Index: embedders, the persisted hybrid (FAISS + BM25) index, and retrievers."""
