"""Shared fixtures: the local AWS world, real interactive shells, the built wheel."""

pytest_plugins = ["fixtures.emulator", "fixtures.shells", "fixtures.packaging"]
