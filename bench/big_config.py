"""A large AWS config, measured: `doctor`, `roles` and TAB completion over 2,500 profiles
(role, keys, IAM Identity Center and credential_process profiles; the keys in the
credentials file) and 40 stsenv aliases, each with a source profile of its own. No network:
none of these calls one. Ratios against `roles` on the same files, in the same run.

    .venv/bin/python -m bench.big_config [--quick]     # also run by bench/run (bench/main.py)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.measure import Command, Hyperfine, Stats
from bench.report import Budget, Table, ratio, run_alone
from bench.world import STSENV
from stsenv import __version__

PROFILES, ALIASES = 2500, 40


def write_world(home: Path) -> dict[str, str]:
    """The files, and the environment that names them."""
    home.mkdir(parents=True, exist_ok=True)
    config, credentials, aliases = [], [], []
    config.append(
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    for i in range(PROFILES):
        kind = i % 4
        if kind == 0:  # keys: in the credentials file, a region in the config
            config.append(f"[profile keys-{i:04d}]\nregion = us-east-1\n")
            credentials.append(
                f"[keys-{i:04d}]\naws_access_key_id = AKIA{i:016d}\n"
                "aws_secret_access_key = not-a-secret\n"
            )
        elif kind == 1:
            config.append(
                f"[profile role-{i:04d}]\nrole_arn = arn:aws:iam::123456789012:role/"
                f"team-{i:04d}\nsource_profile = keys-{i - 1:04d}\n"
                "duration_seconds = 3600\n"
            )
        elif kind == 2:
            config.append(
                f"[profile sso-{i:04d}]\nsso_session = corp\nsso_account_id = "
                f"{i:012d}\nsso_role_name = ReadOnly\nregion = eu-west-1\n"
            )
        else:
            config.append(
                f"[profile process-{i:04d}]\ncredential_process = "
                f"/usr/local/bin/vault-creds --account {i}\n"
            )
    for a in range(ALIASES):
        aliases.append(
            f'[roles.alias-{a:02d}]\nrole_arn = "arn:aws:iam::123456789012:role/'
            f'alias-{a:02d}"\nsource_profile = "keys-{a * 4:04d}"\n'
        )
    (home / "config").write_text("\n".join(config))
    (home / "credentials").write_text("\n".join(credentials))
    (home / "stsenv.toml").write_text("\n".join(aliases))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "STSENV_CONFIG": str(home / "stsenv.toml"),
        "STSENV_CACHE_DIR": str(home / "cache"),
    }


# What the hook's wrapper hands `doctor` in a shell with the hook loaded (doctor passes).
HOOKED = {
    "STSENV_SHELL": "bash",
    "STSENV_HOOK_VERSION": __version__,
    "STSENV_PROMPT_HOOKS": "__stsenv_prompt_hook",
}
ROLES = "roles (2,500 profiles, 40 aliases)"
DOCTOR = "doctor (2,500 profiles, 40 aliases)"
TAB = "TAB after `stsenv use ` (2,500 profiles)"


def measure(results: Path, runs: int, warmup: int) -> tuple[Table, list[Budget]]:
    work = Path(tempfile.mkdtemp(prefix="stsenv-bench-config-"))
    try:
        env = write_world(work / "home")
        commands = [
            Command(ROLES, [str(STSENV), "roles"], env),
            Command(DOCTOR, [str(STSENV), "doctor"], {**env, **HOOKED}),
            Command(TAB, [str(STSENV), "__complete", "bash", "use", ""], env),
        ]
        stats = Hyperfine(results, warmup).group(commands, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = Table(
        "A large AWS config (bench/big_config.py)", ["command", "median (IQR)", "vs", "ratio"]
    )
    budgets: list[Budget] = []
    base = stats.get(ROLES)
    for label, what in ((ROLES, "`roles`"), (DOCTOR, "`doctor`"), (TAB, "TAB completion")):
        what += ", 2,500 profiles + 40 aliases"
        got = stats.get(label)
        if not isinstance(got, Stats):
            table.add(label, f"not measured: {got}", "", "")
            budgets.append(Budget(what, "< 1 s", "n/a", None))
            continue
        if label != ROLES and isinstance(base, Stats):
            table.add(label, got.ms(), ROLES, ratio(got.median, base.median))
        else:
            table.add(label, got.ms(), "", "")
        budgets.append(Budget(what, "< 1 s", got.ms(), got.median < 1.0))
    return table, budgets


def main(argv: list[str] | None = None) -> int:
    return run_alone(
        argv,
        "big_config",
        "a large AWS config",
        lambda results, quick: measure(results, 3 if quick else 15, 1),
    )


if __name__ == "__main__":
    sys.exit(main())
