"""Inside the network: what each gate and unit does, character by character.

- `probes`: record the values a stack's step cells declare (and every cell's output h) in one pass;
- `reading`: what a task's model predicts at each position of a text (`Task.read`);
- `inspector`: a trained model made inspectable, and the `Inspection` of one text;
- `heatmap`: which layer, direction and probe a heatmap shows, its units ranked;
- `features`: the feature contract (built-in features live in workbench_plugins.features);
- `passages`: the run's validation text, to score units on;
- `find`: the units that track each feature best;
- `render` and `export`: the pictures (rich renderables for the terminal, the app and SVG) and JSON.
"""
