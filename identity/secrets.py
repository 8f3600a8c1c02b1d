"""Random secrets handed to people (cookies, tokens, links) and the hashes kept of them.

Only a SHA-256 of each secret is stored: a copy of the database signs nobody in. The secrets carry 256 bits of
randomness, so a fast hash is enough (no password-style stretching)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "knj_"  # personal access tokens: recognisable in a leaked file and by secret scanners


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))
