"""The vault profile's credential_process runs before every AWS CLI command: once its session
is cached it imports neither keyring nor botocore (nor the slow standard modules), proved
as tests/unit/test_import_budget.py proves it for the fast verbs."""

from __future__ import annotations

import json
from pathlib import Path

from support import keys as keys_support
from support.imports import probe
from support.keys import KeysWorld, Machine

keys_world = keys_support.keys_world

HEAVY = (
    "keyring",
    "secretstorage",
    "jeepney",
    "keyring_pass",
    "botocore",
    "boto3",
    "typer",
    "dataclasses",
    "typing",
    "pathlib",
    "tempfile",
    "platformdirs",
)


def imported(args: list[str], env: dict[str, str]) -> tuple[int, list[str], str]:
    return probe(args, env, HEAVY)


def test_cached_vault_credential_process_imports_no_keychain(
    keys_world: KeysWorld, tmp_path: Path
) -> None:
    user, key = keys_world.user()
    home = tmp_path / "kc"
    home.mkdir()
    for chain in keys_support.pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        added = machine.stsenv("keys", "add", "taro", "--from-credentials")
        assert added.returncode == 0, added.stderr
        args = ["credential-process", "--vault", "taro"]
        cold_code, cold_modules, cold_out = imported(args, machine.env)
        # The probe sees the imports: the cold run called STS (on Linux the keychain is read
        # in a forked child while botocore is imported, so keyring is not in this process).
        assert cold_code == 0 and "botocore" in cold_modules
        code, modules, out = imported(args, machine.env)
        assert (code, modules) == (0, [])
        assert json.loads(out)["AccessKeyId"] == json.loads(cold_out)["AccessKeyId"]
        # A broken keychain does not matter to the cached path: it never touches it.
        broken = {**machine.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        assert imported(args, broken)[:2] == (0, [])
