"""`workbench bench`: the engine's training step timed against a plain PyTorch loop, cell by cell."""
