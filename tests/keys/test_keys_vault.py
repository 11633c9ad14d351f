"""`stsenv keys` with real keychains (gnome-keyring through Secret Service, and `pass`),
moto with IAM authorization on, the AWS CLI and boto3 as the clients of the
credential_process line, and a real interactive bash."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from support import keys as keys_support
from support.keys import ArgvWatch, KeysWorld, Machine, files_holding

# The fixtures of keys_support, seen by pytest in this module.
keys_world = keys_support.keys_world
keychain = keys_support.keychain


def _moved(machine: Machine) -> None:
    done = machine.stsenv("keys", "add", "taro", "--from-credentials")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert machine.key[1] not in done.stderr


def test_move_from_credentials_then_every_tool_works(
    keys_world: KeysWorld, keychain: dict[str, str], tmp_path: Path, start_shell: object
) -> None:
    user, key = keys_world.user()
    machine = Machine(tmp_path, keys_world, keychain, user, key)
    before = machine.credentials.read_text()
    with ArgvWatch(key[1]) as watch:
        _moved(machine)
        # The credentials file lost exactly the two key lines of [taro].
        after = machine.credentials.read_text()
        diff = [
            d
            for d in difflib.ndiff(before.splitlines(True), after.splitlines(True))
            if d[:1] in "+-"
        ]
        assert diff == [
            f"- aws_access_key_id = {key[0]}\n",
            f"- aws_secret_access_key = {key[1]}\n",
        ]
        assert "credential_process = " in machine.config.read_text()
        assert (machine.stored() or {}).get("access_key_id") == key[0]
        # Every AWS tool gets a session through the profile's line (the AWS CLI, boto3).
        who = machine.aws("sts", "get-caller-identity", "--profile", "taro", "--output", "json")
        assert who.returncode == 0, who.stderr
        assert json.loads(who.stdout)["Arn"].endswith(f":user/{user}")
        boto = machine.stsenv("credential-process", "--vault", "taro")
        given = json.loads(boto.stdout)
        assert given["AccessKeyId"].startswith("ASIA") and given["SessionToken"]
        assert given["AccessKeyId"] != key[0]
        # stsenv itself: a role sourced from the vault profile, in a real shell.
        shell = start_shell("bash", machine.env)  # type: ignore[operator]
        used = shell.run("stsenv use s3FullforAssumeRole")
        assert used.status == "0", used.output
        listed = shell.run("aws s3 mb s3://vault-bucket && echo made")
        assert "made" in listed.output, listed.output
        profile = machine.stsenv("export", "s3full", "--format", "json")
        assert profile.returncode == 0, profile.stderr
        assert key[1] not in profile.stdout + profile.stderr
    assert watch.scans > 0 and watch.seen == []
    # No file under HOME (stsenv's cache is there too) holds the secret, in any encoding.
    assert files_holding(key[1], machine.home) == []


def test_rotate(keys_world: KeysWorld, keychain: dict[str, str], tmp_path: Path) -> None:
    user, key = keys_world.user()
    machine = Machine(tmp_path, keys_world, keychain, user, key)
    _moved(machine)
    first = machine.stsenv("credential-process", "--vault", "taro")
    assert first.returncode == 0, first.stderr
    with ArgvWatch(key[1]) as watch:
        done = machine.stsenv("keys", "rotate", "taro", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    stored = machine.stored() or {}
    assert answer["access_key_id"] == stored["access_key_id"] != key[0]
    assert answer["age_seconds"] >= 0
    assert not keys_world.works(key)  # the old key is refused by IAM
    assert keys_world.works((stored["access_key_id"], stored["secret_access_key"]))
    # The session cached from the old key is forgotten: a new one comes from the new key.
    again = machine.stsenv("credential-process", "--vault", "taro")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["AccessKeyId"] != json.loads(first.stdout)["AccessKeyId"]
    who = machine.aws("sts", "get-caller-identity", "--profile", "taro")
    assert who.returncode == 0, who.stderr
    assert watch.seen == []
    listed = json.loads(machine.stsenv("keys", "list", "--json").stdout)
    assert [(r["profile"], r["config_line"]) for r in listed] == [("taro", True)]
    assert listed[0]["access_key_id"].endswith(stored["access_key_id"][-4:])
    assert stored["secret_access_key"] not in json.dumps(listed)
    # remove: the keychain forgets it, the config line goes.
    removed = machine.stsenv("keys", "remove", "taro")
    assert removed.returncode == 0, removed.stderr
    assert machine.stored() is None
    assert "credential_process" not in machine.config.read_text()


def test_rotate_when_delete_is_denied_keeps_a_working_stored_key(
    keys_world: KeysWorld, tmp_path: Path
) -> None:
    """A failure between CreateAccessKey and DeleteAccessKey (IAM denies the delete)."""
    from support.keys import pass_store

    user, key = keys_world.user(delete=False)
    home = tmp_path / "kc"
    home.mkdir()
    for chain in pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        _moved(machine)
        done = machine.stsenv("keys", "rotate", "taro")
        assert done.returncode == 3 and done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("stsenv: the new key "), done.stderr
        assert "is live and stored" in lines[0] and "refused to delete the old" in lines[0]
        stored = machine.stored() or {}
        assert keys_world.works((stored["access_key_id"], stored["secret_access_key"]))
        assert keys_world.works(key)  # the old key was not deleted


def test_rotate_when_the_keychain_refuses_deletes_the_new_key(
    keys_world: KeysWorld, tmp_path: Path
) -> None:
    """The keychain fails after CreateAccessKey: the new key is deleted again, the old one
    is still stored and live."""
    from support.keys import pass_store

    user, key = keys_world.user()
    home = tmp_path / "kc"
    home.mkdir()
    for chain in pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        _moved(machine)
        # pass can no longer encrypt: its recipient is a key nobody has.
        Path(chain["PASSWORD_STORE_DIR"], ".gpg-id").write_text("nobody@example.invalid\n")
        done = machine.stsenv("keys", "rotate", "taro")
        assert done.returncode != 0 and done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("stsenv: "), done.stderr
        assert "is live and stored; the new key" in lines[0] and "deleted again" in lines[0]
        assert (machine.stored() or {})["access_key_id"] == key[0]
        assert keys_world.works(key)
        iam = keys_world.client("iam")
        assert [
            k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        ] == [key[0]]


def test_two_keys_already(keys_world: KeysWorld, tmp_path: Path) -> None:
    from support.keys import pass_store

    user, key = keys_world.user(keys=2)
    home = tmp_path / "kc"
    home.mkdir()
    for chain in pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        _moved(machine)
        done = machine.stsenv("keys", "rotate", "taro")
        lines = done.stderr.splitlines()
        assert done.returncode == 3 and len(lines) == 1, done.stderr
        assert "already has two access keys" in lines[0] and "nothing was changed" in lines[0]
        assert (machine.stored() or {})["access_key_id"] == key[0]
        assert keys_world.works(key)


@pytest.mark.parametrize(
    ("args", "stdin", "start"),
    [
        (
            ["keys", "add", "taro", "--stdin"],
            "AKIA-not-a-key\nsecret\n",
            "stsenv: the access key id given (14 characters, not shown)",
        ),
        (["keys", "add", "taro", "--stdin"], "AKIAIOSFODNN7EXAMPLE\n\n", "stsenv: the secret"),
        (["keys", "add", "nobody", "--from-credentials"], "", "stsenv: there is no AWS profile"),
        (["keys", "rotate", "nobody"], "", "stsenv: the keychain"),
        (["keys", "remove", "nobody"], "", "stsenv: the keychain"),
        (["keys", "add", "ta ro", "--stdin"], "", "stsenv: 'ta ro' is not a profile name"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    keys_world: KeysWorld, tmp_path: Path, args: list[str], stdin: str, start: str
) -> None:
    from support.keys import pass_store

    user, key = keys_world.user()
    home = tmp_path / "kc"
    home.mkdir()
    for chain in pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        files = (machine.config.read_bytes(), machine.credentials.read_bytes())
        done = machine.stsenv(*args, stdin=stdin)
        lines = done.stderr.splitlines()
        assert done.returncode != 0 and done.stdout == "" and len(lines) == 1, done.stderr
        assert lines[0].startswith(start), lines[0]
        assert (machine.config.read_bytes(), machine.credentials.read_bytes()) == files
        assert machine.stored() is None


def test_a_keychain_that_refuses(keys_world: KeysWorld, tmp_path: Path) -> None:
    user, key = keys_world.user()
    refusing = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    machine = Machine(tmp_path, keys_world, refusing, user, key)
    files = (machine.config.read_bytes(), machine.credentials.read_bytes())
    done = machine.stsenv("keys", "add", "taro", "--from-credentials")
    lines = done.stderr.splitlines()
    assert done.returncode == 5 and len(lines) == 1, done.stderr
    assert "keyring.backends.fail.Keyring" in lines[0] and "pass init" in lines[0]
    assert (machine.config.read_bytes(), machine.credentials.read_bytes()) == files


SERIAL = "arn:aws:iam::123456789012:mfa/taro"


def test_rotate_with_mfa_sends_one_code_once(keys_world: KeysWorld, tmp_path: Path) -> None:
    """With mfa_serial, one MFA session (one code) serves ListAccessKeys, CreateAccessKey
    and DeleteAccessKey; the code is sent once, by the old key."""
    user, key = keys_world.user()
    home = tmp_path / "kc"
    home.mkdir()
    for chain in keys_support.pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key, mfa=SERIAL)
        _moved(machine)
        done = machine.stsenv("keys", "rotate", "taro", "--token-code", "123456")
        assert done.returncode == 0, done.stderr
        assert keys_world.codes_sent(key[0]) == ["123456"]
        stored = machine.stored() or {}
        assert not keys_world.works(key)
        assert keys_world.works((stored["access_key_id"], stored["secret_access_key"]))


def test_use_and_exec_of_the_vault_profile(
    keys_world: KeysWorld, keychain: dict[str, str], tmp_path: Path, start_shell: object
) -> None:
    """`use taro`, `exec taro`, `exec --server taro` and a role profile sourced from it take
    the key from the keychain in-process: no credential_process child is started."""
    user, key = keys_world.user()
    machine = Machine(tmp_path, keys_world, keychain, user, key)
    _moved(machine)
    # Were the line run, it would fail loudly: stsenv never runs it for itself.
    text = machine.config.read_text()
    line = " credential-process --vault taro"
    machine.config.write_text(text.replace(line, f"{line} --no-such-flag"))
    shell = start_shell("bash", machine.env)  # type: ignore[operator]
    used = shell.run("stsenv use taro")
    assert used.status == "0", used.output
    who = shell.run("aws sts get-caller-identity --query Arn --output text")
    assert f":user/{user}" in who.output, who.output
    shell.run("stsenv clear")
    ran = machine.stsenv("exec", "taro", "--", "aws", "sts", "get-caller-identity")
    assert ran.returncode == 0, ran.stderr
    served = machine.stsenv("exec", "--server", "s3full", "--", "aws", "sts", "get-caller-identity")
    assert served.returncode == 0, served.stderr
    assert "assumed-role/s3FullforAssumeRole" in served.stdout


def test_add_on_the_terminal_without_echo(keys_world: KeysWorld, tmp_path: Path) -> None:
    """The key asked on the terminal (/dev/tty): the secret is not echoed, and `--long-term`
    (the opt-in for tools that must call IAM without MFA) hands out the key itself."""
    import pexpect

    user, key = keys_world.user()
    home = tmp_path / "kc"
    home.mkdir()
    for chain in keys_support.pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        child = pexpect.spawn(
            keys_support.STSENV,
            ["keys", "add", "taro"],
            env=machine.env,
            encoding="utf-8",
            timeout=60,
        )
        child.expect("AWS access key id: ")
        child.sendline(key[0])
        child.expect(r"AWS secret access key \(not shown\): ")
        child.sendline(key[1])
        child.expect(pexpect.EOF)
        child.close()
        shown = (child.before or "") + str(child.after)
        # Stored, but the credentials file still holds the key (read before the vault by
        # every AWS tool): said so, not "every tool uses the vault".
        assert child.exitstatus == 2, shown
        assert key[1] not in shown and "is stored in the keychain" in shown
        assert "keys add taro --from-credentials" in shown
        assert (machine.stored() or {})["access_key_id"] == key[0]
        # Nothing was moved: the credentials file is as it was, the config has the line.
        assert key[1] in machine.credentials.read_text()
        long_term = machine.stsenv("credential-process", "--vault", "--long-term", "taro")
        assert json.loads(long_term.stdout) == {
            "Version": 1,
            "AccessKeyId": key[0],
            "SecretAccessKey": key[1],
        }


def test_a_refusing_keychain_in_a_shell_is_one_line_and_changes_nothing(
    keys_world: KeysWorld, tmp_path: Path, start_shell: object
) -> None:
    """`use` of a vault profile when the keychain refuses: one line naming the backend and
    what to do; the shell's environment is as it was."""
    import re

    user, key = keys_world.user()
    home = tmp_path / "kc"
    home.mkdir()
    for chain in keys_support.pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        _moved(machine)
        broken = {**machine.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        shell = start_shell("bash", broken)  # type: ignore[operator]
        before = shell.environ()
        failed = shell.run("stsenv use s3FullforAssumeRole")
        text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", failed.output)
        lines = [line for line in text.splitlines() if line.startswith("stsenv: ")]
        assert len(lines) == 1 and "keyring.backends.fail.Keyring" in lines[0], failed.output
        assert "pass init" in lines[0] and "Traceback" not in failed.output
        assert failed.status == "5"
        after = shell.environ()
        assert {k: v for k, v in after.items() if k != "_"} == {
            k: v for k, v in before.items() if k != "_"
        }
