"""Composition roots: where each runtime builds its object graph from settings and adapters."""
