"""Corpus manifests: where each corpus comes from, its licence, layout and checksums."""
