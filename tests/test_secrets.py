"""Keys and tokens: never in a real server's output, never in its files, only their hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from .support import Phone, Server, in_a_round

pytestmark = pytest.mark.server


def test_keys_and_tokens_are_never_logged_nor_stored(tmp_path):
    server = Server(tmp_path / "secret.db", "--grace", "60").start()
    phones: list[Phone] = []
    try:
        workshop, console, phones = in_a_round(server, [f"Secret{i}" for i in range(4)])
        console.send("start_timer")
        for phone in phones:
            phone.send("ask_moment", {"needed": True})
        phones[0].close()
        again = Phone(server.url, {"role": "attendee", "code": workshop["code"], "token": phones[0].token})
        again.connect(wait_for="you")
        phones.append(again)
        secrets = [workshop["facilitator_key"], *(p.token for p in phones[:4])]
        assert all(len(s) >= 32 for s in secrets)
        log = server.output()
        folder = Path(server.db).parent
        stored = b"".join(path.read_bytes() for path in folder.rglob("*")
                          if path.is_file() and path != server.log)
        for secret in secrets:
            assert secret not in log
            assert secret.encode() not in stored
        # The hashes are there: the bytes searched are the database's.
        for secret in secrets:
            assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored
    finally:
        for phone in phones:
            phone.client.reconnection = False
            phone.close()
        server.stop()
