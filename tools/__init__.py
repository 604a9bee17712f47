"""Development tools for the AMD corpus, run from the repository root as modules:
``python -m tools.make_amd_corpus`` etc."""
