"""`keys add` never claims the vault is in use while the credentials file still gives the
profile a plain-text key (botocore's shared-credentials provider comes before
credential_process): the shapes configparser reads differently from a naive line reader,
a [DEFAULT] section, and plain `keys add` of a profile whose key is still in the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from support import keys as keys_support
from support.keys import KeysWorld, Machine

keys_world = keys_support.keys_world
chain = keys_support.pass_keychain


def _machine(
    tmp_path: Path, world: KeysWorld, chain: dict[str, str], credentials: str
) -> tuple[Machine, str]:
    user, key = world.user()
    machine = Machine(tmp_path, world, chain, user, key)
    text = credentials.format(id=key[0], secret=key[1])
    machine.credentials.write_text(text)
    os.chmod(machine.credentials, 0o600)
    return machine, text


HANAKO = "aws_access_key_id = AKIAHANAKO00000001\naws_secret_access_key = hanako/secret\n"


def test_indented_key_lines_are_moved_and_the_next_profile_kept(
    keys_world: KeysWorld, tmp_path: Path, chain: dict[str, str]
) -> None:
    machine, _ = _machine(
        tmp_path,
        keys_world,
        chain,
        "[taro]\n    aws_access_key_id = {id}\n    aws_secret_access_key = {secret}\n"
        "[hanako] # second user\n" + HANAKO,
    )
    done = machine.stsenv("keys", "add", "taro", "--from-credentials")
    assert done.returncode == 0, done.stderr
    assert machine.credentials.read_text() == "[taro]\n[hanako] # second user\n" + HANAKO
    who = machine.aws("sts", "get-caller-identity", "--profile", "taro", "--output", "json")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"].endswith(f":user/{machine.user}")


def test_a_key_the_edit_cannot_reach_is_refused_with_the_lines(
    keys_world: KeysWorld, tmp_path: Path, chain: dict[str, str]
) -> None:
    # [DEFAULT] gives every section its options: botocore's taro has this key.
    machine, text = _machine(
        tmp_path,
        keys_world,
        chain,
        "[DEFAULT]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n[taro]\n"
        "region = ap-northeast-1\n",
    )
    done = machine.stsenv("keys", "add", "taro", "--from-credentials")
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("stsenv: the key ") and "stored in the keychain" in lines[0]
    assert "the file was not cleaned" in lines[0]
    assert f"line 2, 3 of {machine.credentials}" in lines[0]
    assert machine.key[1] not in done.stderr
    assert machine.credentials.read_text() == text
    assert (machine.stored() or {}).get("access_key_id") == machine.key[0]


def test_plain_add_says_the_file_still_holds_the_key(
    keys_world: KeysWorld, tmp_path: Path, chain: dict[str, str]
) -> None:
    machine, text = _machine(
        tmp_path,
        keys_world,
        chain,
        "[taro]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n",
    )
    done = machine.stsenv(
        "keys", "add", "taro", "--stdin", stdin=f"{machine.key[0]}\n{machine.key[1]}\n"
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "now runs" not in lines[0]
    assert "keys add taro --from-credentials" in lines[0]
    assert f"line 2, 3 of {machine.credentials}" in lines[0]
    assert machine.credentials.read_text() == text
