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

        # The line removed by hand: the vault still holds the key.
        text = machine.config.read_text()
        machine.config.write_text(
            "".join(x for x in text.splitlines(True) if "credential_process" not in x)
        )
        status, message, _fix = _doctor(machine)["vault taro"]
        assert status == "fail" and "no credential_process line" in message

        # A keychain that does not work, with a vault profile in the config.
        machine.config.write_text(text)
        broken = {**machine.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        done = run([keys_support.STSENV, "doctor", "--json"], broken)
        report = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
        assert done.returncode == 1 and report["keychain"]["status"] == "fail"
