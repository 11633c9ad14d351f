"""`stsenv roles [--json]`: what can be assumed, with the state of its session (no network);
`--sso`: every account and role of an IAM Identity Center sign-in (cached for an hour)."""

from __future__ import annotations

import os
import time

from stsenv import catalog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.settings import Settings


def roles(settings: Settings, json: bool, sso: bool, sso_session: str | None, refresh: bool) -> int:
    import json as json_module

    if sso or sso_session or refresh:
        return _sso_roles(settings, json, sso_session, refresh)
    entries = catalog.list_roles(os.environ, settings, int(time.time()))
    if json:
        print(json_module.dumps([entry.as_json() for entry in entries], indent=2))
        return 0
    if not entries:
        raise catalog.no_roles(settings)
    print("\n".join(catalog.table(entries)))
    return 0


def _sso_roles(settings: Settings, json: bool, sso_session: str | None, refresh: bool) -> int:
    import json as json_module

    now = int(time.time())
    found = None if refresh else _cached_listing(settings, sso_session, now)
    if found is None:
        from stsenv.aws import sso
        from stsenv.commands.login import sign_in_for

        sign_in = sign_in_for(None, sso_session)
        found = sso.list_assignments(sign_in, settings, refresh, now)
    rows = [(catalog.sso_target(a.account_name, a.role_name), a) for a in found]
    if json:
        print(json_module.dumps([{"target": t, **a.as_json()} for t, a in rows], indent=2))
        return 0
    if not rows:
        print("stsenv: this sign-in may use no account", flush=True)
        return 1
    print(
        "\n".join(
            catalog.columns(
                [
                    ("TARGET", "ACCOUNT ID", "ACCOUNT", "ROLE"),
                    *((t, a.account_id, a.account_name, a.role_name) for t, a in rows),
                ]
            )
        )
    )
    return 0


def _cached_listing(settings: Settings, sso_session: str | None, now: int) -> list[Any] | None:
    """The listing from the cache, found without botocore (~150 ms to import): the AWS
    config read with the standard library, as TAB completion reads it."""
    from stsenv import activation
    from stsenv.aws import sso_listing
    from stsenv.errors import StsenvError

    env = activation.source_env(os.environ)
    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    try:
        config = catalog.aws_config_sections(env)
        sign_in = sso_listing.find_sign_in(config, None, sso_session, profile)
    except StsenvError:
        return None  # botocore's reading of the config decides, and says what is wrong
    return sso_listing.load_cached_assignments(sign_in, settings, now)
