"""`stsenv doctor` on long-term keys: plain text in the AWS files, the keychain working, a key
older than 90 days, a vault key whose credential_process line is gone."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from support import keys as keys_support
from support.keys import KeysWorld, Machine, run

keys_world = keys_support.keys_world


def _doctor(machine: Machine) -> dict[str, tuple[str, str, str]]:
    done = machine.stsenv("doctor", "--json")
    report = json.loads(done.stdout)
    assert machine.key[1] not in done.stdout + done.stderr
    return {c["name"]: (c["status"], c["message"], c["fix"]) for c in report["checks"]}


def test_doctor_on_keys(keys_world: KeysWorld, tmp_path: Path) -> None:
    user, key = keys_world.user()
    home = tmp_path / "kc"
    home.mkdir()
    for chain in keys_support.pass_store(home):
        machine = Machine(tmp_path, keys_world, chain, user, key)
        checks = _doctor(machine)
        status, message, fix = checks["key taro"]
        assert status == "warn" and str(machine.credentials) in message
        assert fix.endswith("`stsenv keys add taro --from-credentials`")
        assert checks["key other"][0] == "warn"

        assert machine.stsenv("keys", "add", "taro", "--from-credentials").returncode == 0
        checks = _doctor(machine)
        assert "key taro" not in checks and checks["key other"][0] == "warn"
        assert checks["keychain"][0] == "ok" and "PasswordStoreBackend" in checks["keychain"][1]
        assert checks["vault taro"][0] == "ok"

        # A key stored 91 days ago.
        old = dict(machine.stored() or {})
        old["added"] = old["created"] = int(time.time()) - 91 * 86400
        line = json.dumps(old)
        script = f"import keyring; keyring.set_password('stsenv', 'key:taro', {line!r})"
        assert run([sys.executable, "-c", script], machine.env).returncode == 0
        status, message, fix = _doctor(machine)["vault taro"]
        assert (status, fix) == ("warn", "`stsenv keys rotate taro`") and "91 days" in message

        # The line removed by hand: the vault still holds the key (seen while the config has
        # another vault profile; with none, doctor does not touch the keychain at all).
        text = machine.config.read_text()
        machine.config.write_text(
            "".join(x for x in text.splitlines(True) if "credential_process" not in x)
            + "\n[profile hanako]\ncredential_process = stsenv credential-process --vault hanako\n"
        )
        status, message, _fix = _doctor(machine)["vault taro"]
        assert status == "fail" and "no credential_process line" in message

        # A keychain that does not work, with a vault profile in the config.
        machine.config.write_text(text)
        broken = {**machine.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        done = run([keys_support.STSENV, "doctor", "--json"], broken)
        report = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
        assert done.returncode == 1 and report["keychain"]["status"] == "fail"


LOGGING_KEYRING = """
import os
from keyring.backend import KeyringBackend


class Logging(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self._log("init")

    def _log(self, what):
        with open(os.environ["KEYRING_LOG"], "a") as f:
            f.write(what + "\\n")

    def get_password(self, service, username):
        self._log("get " + username)
        return None

    def set_password(self, service, username, password):
        self._log("set " + username)

    def delete_password(self, service, username):
        self._log("delete " + username)
"""


def test_doctor_without_a_vault_profile_never_touches_the_keychain(
    keys_world: KeysWorld, tmp_path: Path
) -> None:
    user, key = keys_world.user()
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "logkeyring.py").write_text(LOGGING_KEYRING)
    log = tmp_path / "keyring.log"
    chain = {
        "PYTHON_KEYRING_BACKEND": "logkeyring.Logging",
        "PYTHONPATH": str(tmp_path / "mods"),
        "KEYRING_LOG": str(log),
    }
    machine = Machine(tmp_path, keys_world, chain, user, key)
    checks = _doctor(machine)
    assert checks["key taro"][0] == "warn"  # doctor did look at the keys
    assert not log.exists() and "keychain" not in checks, log.read_text()
    # With a vault profile in the config the keychain is asked (so the log above can fail).
    with machine.config.open("a") as f:
        f.write("\n[profile v]\ncredential_process = stsenv credential-process --vault v\n")
    checks = _doctor(machine)
    assert "get " in log.read_text() and checks["keychain"][0] == "ok"
