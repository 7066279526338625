"""The settings of drawing text from a model, declared once for the generate task, the model
screen, `workbench sample` and the sampler itself (kept apart from the sampler so the app can build
its form without importing torch)."""

from __future__ import annotations

from workbench.params import Param

TEMPERATURE = Param("temperature", float, 0.8,
                    "sampling temperature: 0 always picks the likeliest, higher is wilder", min=0.0, max=10.0)
TOP_K = Param("top_k", int, 0, "sample among the k likeliest characters only; 0 for all", min=0, max=100000)
