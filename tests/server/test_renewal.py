"""Renewal on a moving clock: libfaketime on the whole process tree (stsenv, the command)
and on the moto server that issues the credentials, all reading one offset file that the
test moves. A 15-minute role is renewed with 13 minutes left (aws/server.py renew_before):
the running command's boto3 picks up each new credential with no error in between, and
each renewal is one AssumeRole, however many callers there are."""

from __future__ import annotations

from pathlib import Path

from support.local_aws import ACCOUNT, ROLE, LocalAws

from server.conftest import start_faked
from server.support import Caller, FakeClock, assume_role_count

ASSUMED = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/"


def test_renewed_ahead_of_expiry_one_sts_call_each(
    faked_env: dict[str, str], faked_world: LocalAws, fake_clock: FakeClock, tmp_path: Path
) -> None:
    caller = Caller(faked_env, "s3Full", tmp_path, duration="15m")
    try:
        first = caller.ask("call")
        assert first["ok"] and first["arn"].startswith(ASSUMED), first
        count = assume_role_count(faked_world)
        key = first["key"]
        # 2.5 min later 12.5 min are left (< 13): renewed; the SDK, in its advisory window,
        # asks again and gets the new one. Then 5 min more. Then 10 min at once: the old
        # credential is deep in botocore's mandatory window (< 10 min left).
        for step in (150, 300, 600):
            fake_clock.move(step)
            moved = caller.ask(f"until-new {key}")
            assert moved["errors"] == [] and moved["arn"].startswith(ASSUMED), moved
            assert moved["key"] != key
            key = moved["key"]
            count += 1
            assert assume_role_count(faked_world) == count  # one STS call per renewal
            crowd = caller.ask("fetch 50")
            assert crowd["statuses"] == [200] * 50 and set(crowd["keys"]) == {key}
            assert assume_role_count(faked_world) == count  # callers never cause a call
        quiet = caller.ask("call")
        assert quiet["ok"] and quiet["key"] == key
    finally:
        status = caller.finish()
    assert status == 0
    assert caller.stderr() == ""  # nothing failed, nothing to say


def test_failed_renewal_keeps_serving_then_503_then_recovers(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    """STS gone: one line, the still-valid credentials served; past expiry a 503 whose JSON
    says why; STS back: renewed without anything asked, and one line saying so."""
    from support.emulator import base_env

    clock = FakeClock(tmp_path / "clock.rc", fake_clock.lib)
    world = start_faked(tmp_path / "world", clock)
    env = {**base_env(tmp_path / "home"), **world.env, **clock.env(), "TMPDIR": str(tmp_path)}
    caller = Caller(env, "s3Full", tmp_path, duration="15m")
    try:
        served = caller.ask("fetch 1")
        assert served["statuses"] == [200]
        key = served["keys"][0]
        world.stop()
        clock.move(150)  # renewal due, STS unreachable
        caller.wait_for_line("stsenv: could not renew")
        still = caller.ask("fetch 5")
        assert still["statuses"] == [200] * 5 and set(still["keys"]) == {key}
        clock.move(900)  # past expiry
        gone = caller.ask("fetch 3")
        assert gone["statuses"] == [503] * 3
        assert all(
            '"CredentialsExpired"' in body and "expired at" in body for body in gone["bodies"]
        )
        start_faked(world, clock)  # same port, a fresh world: the keys in the files are new ones
        clock.move(60)  # past the backoff: the renewer tries again within its poll
        back = caller.ask(f"until-served {key}")
        assert back["key"] != key and set(back["statuses"]) <= {200, 503}, back
        called = caller.ask("call")  # boto3 in CMD acts as the role again, nothing asked
        assert called["ok"] and called["arn"].startswith(ASSUMED), called
    finally:
        status = caller.finish()
        world.stop()
    assert status == 0
    lines = caller.stderr().splitlines()
    assert [line.split(":")[0] for line in lines] == ["stsenv"] * 3, lines
    assert lines[0].startswith("stsenv: could not renew the credentials of s3Full: ")
    assert "still serving the current ones" in lines[0]
    assert lines[1].startswith("stsenv: the credentials of s3Full expired at ")
    assert lines[2].startswith("stsenv: renewed the credentials of s3Full again")
