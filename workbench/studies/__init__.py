"""Studies: many runs of one experiment (seeds, a grid, a search space) scheduled by Optuna.

Each trial is an ordinary run directory; what a study needs to report lives in its Optuna storage,
so any machine that reaches the storage can run trials or show the results. Optuna and scipy are
the `studies` extra: `extras.require` says how to install them when they are missing.
"""
