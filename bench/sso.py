"""IAM Identity Center, measured: `stsenv use` of an SSO profile (cached, and cold beside a
cold role `use` against the same local endpoints), and `roles --sso` and TAB completion
over a cached listing of 1,000 accounts x 3 roles. Ratios against baselines measured in
the same run; nothing here is a test.

    .venv/bin/python -m bench.sso [--quick]     # also run by bench/run (bench/main.py)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import Command, Hyperfine, MeasureError, Stats
from bench.report import Budget, Table, ratio, run_alone
from bench.world import PYTHON, STSENV, LocalSts, base_env

ACCOUNTS, ROLES = 1000, ("AdministratorAccess", "ReadOnlyAccess", "Billing")


def _sign_in_and_list(env: dict[str, str]) -> None:
    """Sign in (the local portal approves by itself) and cache a listing of 3,000 roles as
    `roles --sso` would have written it."""
    done = subprocess.run(
        [str(STSENV), "login", "--sso-session", "corp", "--no-browser"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise MeasureError(f"stsenv login failed: {done.stderr.strip()[-400:]}")
    code = (
        "import os, time\n"
        "from stsenv.aws import profiles, sso_listing\n"
        "from stsenv.settings import Settings\n"
        "sign_in = sso_listing.find_sign_in(profiles.full_config(), None, 'corp', None)\n"
        f"found = [sso_listing.Assignment(f'{{i:012d}}', f'account-{{i:04d}}', r)"
        f" for i in range(1, {ACCOUNTS + 1}) for r in {ROLES!r}]\n"
        "sso_listing.store_assignments(sign_in, Settings.from_env(os.environ), found,"
        " int(time.time()))\n"
    )
    subprocess.run([str(PYTHON), "-c", code], env=env, check=True, timeout=120)


def measure(results: Path, runs: int, slow_runs: int, warmup: int) -> tuple[Table, list[Budget]]:
    work = Path(tempfile.mkdtemp(prefix="stsenv-bench-sso-"))
    server = LocalSts(work, extra_args=["--sso", "--sso-auto-approve"])
    try:
        aws_env = server.start()
        env = base_env(work / "home", aws_env)
        env.pop("AWS_PROFILE", None)
        hooked = {**env, "STSENV_SHELL": "bash", "STSENV_QUIET": "1"}
        role_env = {**hooked, "AWS_PROFILE": aws_env["AWS_PROFILE"]}
        _sign_in_and_list(env)
        hyperfine = Hyperfine(results, warmup)
        python = Command("python -c pass", [str(PYTHON), "-c", "pass"], env)
        cached = Command("use dev-admin, cached", [str(STSENV), "use", "dev-admin"], hooked)
        cold_sso = Command(
            "use dev-admin, cold", [str(STSENV), "use", "dev-admin", "--refresh"], hooked
        )
        cold_role = Command(
            "use s3full, cold", [str(STSENV), "use", "s3full", "--refresh"], role_env
        )
        listing = Command("roles --sso (3,000 cached)", [str(STSENV), "roles", "--sso"], env)
        tab = Command(
            "TAB after `stsenv use ` (3,000 cached)",
            [str(STSENV), "__complete", "bash", "use", ""],
            env,
        )
        fast = hyperfine.group([python, cached, listing, tab], runs)
        slow = hyperfine.group([cold_role, cold_sso], slow_runs)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    stats = {**fast, **slow}
    table = Table("IAM Identity Center (bench/sso.py)", ["command", "median (IQR)", "vs", "ratio"])
    budgets: list[Budget] = []

    def row(label: str, baseline: str | None) -> Stats | None:
        got = stats.get(label)
        if not isinstance(got, Stats):
            table.add(label, f"not measured: {got}", "", "")
            return None
        base = stats.get(baseline) if baseline else None
        if isinstance(base, Stats):
            table.add(label, got.ms(), baseline or "", ratio(got.median, base.median))
        else:
            table.add(label, got.ms(), "", "")
        return got

    base = row("python -c pass", None)
    use_cached = row("use dev-admin, cached", "python -c pass")
    role = row("use s3full, cold", None)
    sso = row("use dev-admin, cold", "use s3full, cold")
    roles = row("roles --sso (3,000 cached)", None)
    completion = row("TAB after `stsenv use ` (3,000 cached)", None)
    if base and use_cached:
        budgets.append(
            Budget(
                "`use` of an SSO profile, cached",
                "<= 4x `python -c pass`",
                f"{use_cached.ms()} = {ratio(use_cached.median, base.median)}",
                use_cached.median <= 4 * base.median,
            )
        )
    if role and sso:
        budgets.append(
            Budget(
                "`use` of an SSO profile, cold",
                "<= 1.2x a cold role `use`",
                f"{sso.ms()} vs {role.ms()} = {ratio(sso.median, role.median)}",
                sso.median <= 1.2 * role.median,
            )
        )
    for what, got in (
        ("`roles --sso`, 3,000 cached roles", roles),
        ("TAB completion, 3,000 cached roles", completion),
    ):
        if got:
            budgets.append(Budget(what, "<= 100 ms", got.ms(), got.median <= 0.1))
    return table, budgets


def main(argv: list[str] | None = None) -> int:
    return run_alone(
        argv,
        "sso",
        "IAM Identity Center",
        lambda results, quick: measure(results, *((5, 3, 1) if quick else (40, 20, 3))),
    )


if __name__ == "__main__":
    sys.exit(main())
