"""Built-in workbench plugins."""
