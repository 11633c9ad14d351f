"""Console sign-in sessions, measured: `stsenv use` of a login_session profile, cached (beside
`python -c pass`) and cold (beside a cold role `use` against the same local endpoints, in the
same run), after a `stsenv login` against the local AWS Sign-In (curl as the browser).
Nothing here is a test.

    .venv/bin/python -m bench.signin [--quick]     # also run by bench/run (bench/main.py)
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


def _sign_in(env: dict[str, str], work: Path) -> None:
    browser = work / "curl-browser"
    browser.write_text('#!/bin/sh\nexec curl -sS -L -o /dev/null "$1"\n')
    browser.chmod(0o755)
    done = subprocess.run(
        [str(STSENV), "login", "--profile", "console"],
        env={**env, "BROWSER": str(browser)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise MeasureError(f"stsenv login failed: {done.stderr.strip()[-400:]}")


def measure(results: Path, runs: int, slow_runs: int, warmup: int) -> tuple[Table, list[Budget]]:
    work = Path(tempfile.mkdtemp(prefix="stsenv-bench-signin-"))
    server = LocalSts(work, extra_args=["--signin"])
    try:
        aws_env = server.start()
        env = base_env(work / "home", aws_env)
        env.pop("AWS_PROFILE", None)
        hooked = {**env, "STSENV_SHELL": "bash", "STSENV_QUIET": "1"}
        role_env = {**hooked, "AWS_PROFILE": aws_env["AWS_PROFILE"]}
        _sign_in(env, work)
        hyperfine = Hyperfine(results, warmup)
        python = Command("python -c pass", [str(PYTHON), "-c", "pass"], env)
        cached = Command("use console, cached", [str(STSENV), "use", "console"], hooked)
        cold_login = Command(
            "use console, cold", [str(STSENV), "use", "console", "--refresh"], hooked
        )
        cold_role = Command(
            "use s3full, cold", [str(STSENV), "use", "s3full", "--refresh"], role_env
        )
        fast = hyperfine.group([python, cached], runs)
        slow = hyperfine.group([cold_role, cold_login], slow_runs)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    stats = {**fast, **slow}
    table = Table(
        "Console sign-in sessions (bench/signin.py)", ["command", "median (IQR)", "vs", "ratio"]
    )
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
    use_cached = row("use console, cached", "python -c pass")
    role = row("use s3full, cold", None)
    login = row("use console, cold", "use s3full, cold")
    if base and use_cached:
        budgets.append(
            Budget(
                "`use` of a login_session profile, cached",
                "<= 4x `python -c pass`",
                f"{use_cached.ms()} = {ratio(use_cached.median, base.median)}",
                use_cached.median <= 4 * base.median,
            )
        )
    if role and login:
        budgets.append(
            Budget(
                "`use` of a login_session profile, cold",
                "<= 1.2x a cold role `use`",
                f"{login.ms()} vs {role.ms()} = {ratio(login.median, role.median)}",
                login.median <= 1.2 * role.median,
            )
        )
    return table, budgets


def main(argv: list[str] | None = None) -> int:
    return run_alone(
        argv,
        "signin",
        "console sign-in sessions",
        lambda results, quick: measure(results, *((5, 3, 1) if quick else (40, 20, 3))),
    )


if __name__ == "__main__":
    sys.exit(main())
