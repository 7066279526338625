"""Corpora: their manifests, the search path that finds their files, reading them, and pulling them."""
