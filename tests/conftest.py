"""Shared fixtures: the local AWS world, real interactive shells, the built wheel."""

pytest_plugins = ["support.emulator", "support.shells", "support.packaging"]
