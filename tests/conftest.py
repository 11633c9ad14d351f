"""Shared fixtures: the local AWS world and real interactive shells."""

pytest_plugins = ["fixtures.emulator", "fixtures.shells"]
