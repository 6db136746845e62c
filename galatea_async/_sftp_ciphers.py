"""Which ciphers an SFTP connection offers, best first: AES-GCM, then chacha20-poly1305.

asyncssh offers chacha20-poly1305 first; AES-GCM runs on the CPU's AES instructions and
costs the client less CPU per byte (measured on a local sshd, same rounds: 3.4 against 4.9 s
of client CPU per GiB, 58 against 43 MiB/s). The order only says what we prefer: the server
still picks the first of ours that it allows.

A caller's explicit ``encryption_algs`` wins; else a ``Ciphers`` line in the user's ssh config
for that host wins (asyncssh reads it when we pass nothing); else our order applies.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from pathlib import Path

import asyncssh

__all__ = ["PREFERRED_CIPHERS", "cipher_preference", "configured_ciphers"]

PREFERRED_CIPHERS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
)


def cipher_preference(
    explicit: Sequence[str] | None, configured: object, available: Sequence[str]
) -> list[str] | None:
    """The ciphers to offer, best first; None leaves the choice to the user's ssh config.

    ``available`` is what the SSH library offers by default, in its order.
    """
    if explicit is not None:
        return list(explicit)
    if configured:
        return None
    preferred = [name for name in PREFERRED_CIPHERS if name in available]
    return preferred + [name for name in available if name not in preferred]


def default_ciphers() -> list[str]:
    """What asyncssh offers when told nothing, in its order."""
    return [name.decode("ascii") for name in asyncssh.encryption.get_default_encryption_algs()]


def configured_ciphers(host: str, port: int, username: str) -> object:
    """The ``Ciphers`` the user's ``~/.ssh/config`` sets for ``host``, or None."""
    path = Path("~", ".ssh", "config").expanduser()
    if not os.access(path, os.R_OK):
        return None
    try:
        config = asyncssh.config.SSHClientConfig.load(
            None, [path], False, False, False, getpass.getuser(), username, host, port
        )
    # An unreadable or invalid config is asyncssh's to report when connecting.
    except Exception:
        return None
    return config.get("Ciphers")
