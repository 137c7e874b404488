"""Faraday's knowledge base: markdown corpus → chunks → embeddings in pgvector → hybrid retrieval with citations.

Dependencies point inward: ``knowledge`` may import ``domain`` but never ``bot`` or ``tools``.
"""
