"""Faraday's knowledge base: markdown corpus → chunks → embeddings in pgvector → hybrid retrieval with citations.

Dependencies point inward: ``knowledge`` may import ``domain`` but never ``bot`` or ``tools``.
"""

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"  # the district's documents, shipped with the code
