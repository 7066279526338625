"""Inside the network: what each gate and unit does, character by character.

- `probes`: record the values a stack's step cells declare (and every cell's output h) in one pass;
- `reading`: what a task's model predicts at each position of a text (`Task.read`);
- `inspector`: a trained model made inspectable, and the `Inspection` of one text;
- `units`: which units to show first in a heatmap;
- `features` and `find`: character features, and the units that track them best;
- `passages`: validation text to score units on;
- `render`: the pictures, as rich renderables for the terminal, the app and SVG files.
"""
