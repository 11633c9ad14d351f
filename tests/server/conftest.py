"""Fixtures of the `exec --server` tests: a moto world whose clock a test can move."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.emulator import base_env
from support.local_aws import LocalAws
from support.shells import LIBFAKETIME, need_tool

from server.support import FakeClock


def start_faked(workdir: Path | LocalAws, clock: FakeClock) -> LocalAws:
    """A world of its own (or this one, restarted) whose moto runs on the fake clock:
    credentials it issues expire on the clock the server reads."""
    world = workdir if isinstance(workdir, LocalAws) else LocalAws(workdir)
    with pytest.MonkeyPatch.context() as patch:  # LocalAws starts moto with os.environ
        for name, value in clock.env().items():
            patch.setenv(name, value)
        world.start()
    return world


@pytest.fixture(scope="module")
def fake_clock(tmp_path_factory: pytest.TempPathFactory) -> FakeClock:
    lib = need_tool(LIBFAKETIME)
    return FakeClock(tmp_path_factory.mktemp("clock") / "faketime.rc", lib)


@pytest.fixture(scope="module")
def faked_world(
    fake_clock: FakeClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalAws]:
    world = start_faked(tmp_path_factory.mktemp("faked-aws"), fake_clock)
    yield world
    world.stop()


@pytest.fixture
def faked_env(faked_world: LocalAws, fake_clock: FakeClock, tmp_path: Path) -> dict[str, str]:
    env = base_env(tmp_path / "home")
    env.update(faked_world.env)
    env.update(fake_clock.env())
    env["TMPDIR"] = str(tmp_path)
    return env


@pytest.fixture
def server_env(aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """aws_env, with TMPDIR of the test's own: the files CMD gets are seen to go."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return {**aws_env, "TMPDIR": str(tmp), "PATH": os.environ.get("PATH", aws_env["PATH"])}
