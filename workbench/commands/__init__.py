"""Headless subcommands, one module each; every module has `register(subparsers)`."""

from workbench.commands import plugins_command

SUBCOMMANDS = [plugins_command]
