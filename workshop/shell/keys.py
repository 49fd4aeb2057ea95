"""Secrets: making them, storing only their hashes, and the keys kept in the instance folder."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


def new_secret() -> str:
    """Return an unguessable secret: 192 random bits, url-safe."""
    return secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    """Return the hash under which a secret is stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same(a: str, b: str) -> bool:
    """Compare two secrets (or their hashes) in constant time."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def report_key(server_secret: str, code: str) -> str:
    """Return the key of a workshop's shareable report link, derived so that nothing is stored."""
    mac = hmac.new(server_secret.encode(), f"report:{code}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def display_key(server_secret: str, code: str) -> str:
    """Return the key of a workshop's projector link: it opens the name-free display and nothing else."""
    mac = hmac.new(server_secret.encode(), f"display:{code}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def join_key(server_secret: str, code: str) -> str:
    """Return the key of a workshop's join link and QR code: it lets a check skip the code guard.

    Derived without any lookup, so checking it tells nothing about whether the room exists;
    80 bits, so it cannot be guessed, and short enough to keep the QR code easy to scan.
    """
    mac = hmac.new(server_secret.encode(), f"join:{code}".encode(), hashlib.sha256)
    return mac.hexdigest()[:20]


def is_join_key(server_secret: str, code: str, key) -> bool:
    """Tell whether `key` is the join key of `code`; anything else (missing, wrong, not text) is not."""
    return isinstance(key, str) and same(key.lower(), join_key(server_secret, code))


def key_fingerprint(server_secret: str, key: str) -> str:
    """Return what a session remembers of the organizer key it was issued under, without the key."""
    message = b"organizer:" + key.encode("utf-8", "surrogatepass")
    mac = hmac.new(server_secret.encode(), message, hashlib.sha256)
    return mac.hexdigest()[:32]


def kept_secret(path: Path) -> tuple[str, bool]:
    """Return the secret kept in a file, and whether it was made (readable by the owner only) just now."""
    if path.exists():
        return path.read_text().strip(), False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = new_secret()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    return value, True
