"""Answering machine detection: a sans-IO detector fed live audio frames, and its evaluator."""
