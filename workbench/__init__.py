"""workbench: train, watch and compare recurrent networks in the terminal."""

__version__ = "0.1.0"
