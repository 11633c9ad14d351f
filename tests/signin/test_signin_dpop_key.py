"""The DPoP key of a console sign-in proves the same public key at the sign-in and at every
renewal, where botocore reads it back from the token file (LoginCredentialFetcher). awscrt
gives a key it has just made its coordinates without leading zero bytes but a key read from
DER with 32 bytes each, so about one sign-in in a hundred was bound to a JWK that no
renewal could show again (AccessDenied "wrong key" from the stand-in; seen once in CI), and
some fresh keys exported a DER that could not be read back at all."""

from __future__ import annotations

import base64
import json

from botocore.credentials import LoginCredentialFetcher, _build_dpop_header

from stsenv.aws import signin


def jwk(header: str) -> dict[str, str]:
    first = header.split(".")[0]
    found: dict[str, str] = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))[
        "jwk"
    ]
    return found


def test_the_key_of_the_sign_in_is_the_key_botocore_renews_with() -> None:
    for _ in range(600):  # the old key failed about once in 100
        proof = signin._Proof()
        url = "https://signin.example/v1/token"
        at_sign_in = jwk(_build_dpop_header(proof.key, url))
        reread = LoginCredentialFetcher._load_private_key({"dpopKey": proof.pem()})
        at_renewal = jwk(_build_dpop_header(reread, url))
        assert at_sign_in == at_renewal
