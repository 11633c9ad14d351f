"""`stsenv credential-process` of a role reached through a chain whose root is a vault
profile (chain2 -> hop1 -> taro): botocore runs the vault profile's own
`credential-process --vault` line inside stsenv's credential-process, which is no loop; a
profile whose credential_process runs stsenv for itself still is. And `--vault` of a
profile that is not in the vault says so in one line."""

from __future__ import annotations

import json
from pathlib import Path

from support import keys as keys_support
from support.keys import KeysWorld, Machine
from support.local_aws import ACCOUNT, ROLE

keys_world = keys_support.keys_world
chain = keys_support.pass_keychain


def _moved(tmp_path: Path, world: KeysWorld, chain: dict[str, str]) -> Machine:
    user, key = world.user()
    machine = Machine(tmp_path, world, chain, user, key)
    done = machine.stsenv("keys", "add", "taro", "--from-credentials")
    assert done.returncode == 0, done.stderr
    return machine


def test_a_chain_rooted_in_the_vault_is_no_loop(
    keys_world: KeysWorld, tmp_path: Path, chain: dict[str, str]
) -> None:
    # The tutorial's role may assume itself: chain2 is the role assumed from the role.
    iam = keys_world.client("iam")
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="chain",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        ),
    )
    # moto matches trust principals literally: the first hop's session by its name.
    keys_world.principals.append(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/hop1")
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=keys_world._trust())
    machine = _moved(tmp_path, keys_world, chain)
    with machine.config.open("a") as f:
        f.write(
            f"\n[profile hop1]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/{ROLE}\n"
            "source_profile = taro\nrole_session_name = hop1\nregion = ap-northeast-1\n"
            f"\n[profile chain2]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/{ROLE}\n"
            "source_profile = hop1\nregion = ap-northeast-1\n"
            # a real loop: the profile's credential_process runs stsenv for itself
            "\n[profile loop]\ncredential_process = stsenv credential-process loop\n"
        )
    done = machine.stsenv("credential-process", "chain2")
    assert done.returncode == 0, done.stderr
    given = json.loads(done.stdout)
    assert given["AccessKeyId"].startswith("ASIA") and given["SessionToken"]
    assert machine.key[1] not in done.stdout + done.stderr
    loop = machine.stsenv("credential-process", "loop")
    lines = loop.stderr.splitlines()
    assert loop.returncode != 0 and len(lines) == 1, loop.stderr
    assert "started by its own source profile" in lines[0]


def test_vault_of_a_profile_not_in_the_vault(
    keys_world: KeysWorld, tmp_path: Path, chain: dict[str, str]
) -> None:
    machine = _moved(tmp_path, keys_world, chain)
    done = machine.stsenv("credential-process", "--vault", "hanako")
    lines = done.stderr.splitlines()
    assert done.returncode != 0 and done.stdout == "" and len(lines) == 1, done.stderr
    assert lines[0].startswith("stsenv: AWS profile 'hanako' is not a vault profile")
    assert "`stsenv keys add hanako`" in lines[0]
