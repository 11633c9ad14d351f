"""Shared fixtures: the local AWS world (fixtures/emulator.py) and real shells (fixtures/shells.py)."""

pytest_plugins = ["fixtures.emulator", "fixtures.shells"]
