"""The vault (`stsenv keys`), measured: a vault profile's credential_process answered from
the cache (it runs before every AWS CLI command) against `python -c pass`, and a cold `use`
of a role sourced from a vault profile against the same role sourced from the credentials
file, with each keychain the tests run (pass with gpg, and gnome-keyring's Secret Service
in its own D-Bus session). Ratios against baselines measured in the same run.

    .venv/bin/python -m bench.keys [--quick]     # also run by bench/run (bench/main.py)
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.measure import Command, Hyperfine, MeasureError, Stats
from bench.report import Budget, Table, ratio, run_alone
from bench.world import PYTHON, STSENV, LocalSts, base_env, role_arn

BACKENDS = ("pass", "secret-service")


@contextmanager
def keychain(kind: str, home: Path) -> Iterator[dict[str, str]]:
    """A throw-away keychain of `kind`: what a process needs in its environment to use it."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    if kind == "pass":
        gnupg, store = home / "gnupg", home / "password-store"
        gnupg.mkdir(mode=0o700)
        env.update(GNUPGHOME=str(gnupg), PASSWORD_STORE_DIR=str(store))
        subprocess.run(
            [
                "gpg",
                "--batch",
                "--passphrase",
                "",
                "--quick-gen-key",
                "bench <bench@example.invalid>",
                "default",
                "default",
                "never",
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            ["pass", "init", "bench@example.invalid"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        try:
            yield {
                "GNUPGHOME": str(gnupg),
                "PASSWORD_STORE_DIR": str(store),
                "PYTHON_KEYRING_BACKEND": "keyring_pass.PasswordStoreBackend",
            }
        finally:
            subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, timeout=30)
        return
    ready = home / "bus-address"
    script = (
        "echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        f"echo \"$DBUS_SESSION_BUS_ADDRESS\" > '{ready}' && exec sleep 3600"
    )
    process = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", script],
        env={**env, "XDG_DATA_HOME": str(home / "data")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (ready.exists() and ready.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise MeasureError("gnome-keyring-daemon did not start")
            time.sleep(0.05)
        yield {
            "DBUS_SESSION_BUS_ADDRESS": ready.read_text().strip(),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        }
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def _vault_world(work: Path, aws_env: dict[str, str]) -> dict[str, str]:
    """The world's AWS files with its taro and admin keys moved to vault profiles (the
    keychain is filled by `fill`), and a copy of the role profile sourced from taro's."""
    credentials = configparser.ConfigParser()
    credentials.read(aws_env["AWS_SHARED_CREDENTIALS_FILE"])
    config = work / "aws-config"
    text = Path(aws_env["AWS_CONFIG_FILE"]).read_text()
    text += (
        f"\n[profile taro-vault]\nregion = ap-northeast-1\n"
        f"credential_process = {STSENV} credential-process --vault taro-vault\n"
        f"\n[profile admin-vault]\nregion = ap-northeast-1\n"
        f"credential_process = {STSENV} credential-process --vault admin-vault\n"
        f"\n[profile s3full-vault]\nrole_arn = {role_arn(aws_env)}\n"
        "source_profile = taro-vault\nregion = ap-northeast-1\n"
    )
    config.write_text(text)
    keys = {
        "taro-vault": dict(credentials["taro-prjZ"]),
        "admin-vault": dict(credentials["admin"]),
    }
    return {
        "AWS_CONFIG_FILE": str(config),
        "KEYS": repr(
            {name: (k["aws_access_key_id"], k["aws_secret_access_key"]) for name, k in keys.items()}
        ),
    }


def fill(env: dict[str, str], keys: str) -> None:
    """Put the keys in the keychain as `stsenv keys add` stores them (without its
    GetCallerIdentity check: the local world lets taro call nothing but AssumeRole)."""
    code = (
        "import time\nfrom stsenv.aws import vault\n"
        f"for name, (key, secret) in {keys}.items():\n"
        "    vault.store(name, vault.StoredKey(key, secret, int(time.time())))\n"
    )
    done = subprocess.run(
        [str(PYTHON), "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise MeasureError(f"filling the keychain failed: {done.stderr.strip()[-400:]}")


def measure(results: Path, runs: int, slow_runs: int, warmup: int) -> tuple[Table, list[Budget]]:
    work = Path(tempfile.mkdtemp(prefix="stsenv-bench-keys-"))
    server = LocalSts(work)
    stats: dict[str, Stats | MeasureError] = {}
    try:
        aws_env = server.start()
        vault_env = _vault_world(work, aws_env)
        keys = vault_env.pop("KEYS")
        env = {**base_env(work / "home", aws_env), **vault_env}
        hyperfine = Hyperfine(results, warmup)
        for backend in BACKENDS:
            with keychain(backend, work / f"keychain-{backend}") as chain:
                here = {**env, **chain}
                fill(here, keys)
                hooked = {**here, "STSENV_SHELL": "bash", "STSENV_QUIET": "1"}
                python = Command(f"python -c pass ({backend})", [str(PYTHON), "-c", "pass"], here)
                process = Command(
                    f"credential-process --vault, cached ({backend})",
                    [str(STSENV), "credential-process", "--vault", "admin-vault"],
                    here,
                )
                # The first, cold run fills the cache the timed runs answer from.
                subprocess.run(process.argv, env=here, capture_output=True, timeout=120, check=True)
                from_file = Command(
                    f"use s3full, cold, key in the file ({backend})",
                    [str(STSENV), "use", "s3full", "--refresh"],
                    hooked,
                )
                from_vault = Command(
                    f"use s3full-vault, cold, key in {backend}",
                    [str(STSENV), "use", "s3full-vault", "--refresh"],
                    hooked,
                )
                stats.update(hyperfine.group([python, process], runs))
                stats.update(hyperfine.group([from_file, from_vault], slow_runs))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    table = Table("The vault (bench/keys.py)", ["command", "median (IQR)", "vs", "ratio"])
    budgets: list[Budget] = []
    for backend in BACKENDS:
        pairs = (
            (
                f"credential-process --vault, cached ({backend})",
                f"python -c pass ({backend})",
                f"vault credential_process, cached ({backend})",
                "<= 4x `python -c pass`",
                4.0,
            ),
            (
                f"use s3full-vault, cold, key in {backend}",
                f"use s3full, cold, key in the file ({backend})",
                f"cold `use` of a role sourced from the vault ({backend})",
                "<= 1.2x sourced from the credentials file",
                1.2,
            ),
        )
        for label, baseline, what, budget, factor in pairs:
            got, base = stats.get(label), stats.get(baseline)
            if isinstance(base, Stats):
                table.add(baseline, base.ms(), "", "")
            if not (isinstance(got, Stats) and isinstance(base, Stats)):
                table.add(
                    label, f"not measured: {got if not isinstance(got, Stats) else base}", "", ""
                )
                budgets.append(Budget(what, budget, "n/a", None))
                continue
            table.add(label, got.ms(), baseline, ratio(got.median, base.median))
            budgets.append(
                Budget(
                    what,
                    budget,
                    f"{got.ms()} = {ratio(got.median, base.median)}",
                    got.median <= factor * base.median,
                )
            )
    return table, budgets


def main(argv: list[str] | None = None) -> int:
    return run_alone(
        argv,
        "keys",
        "the vault",
        lambda results, quick: measure(results, *((5, 3, 1) if quick else (40, 20, 3))),
    )


if __name__ == "__main__":
    sys.exit(main())
