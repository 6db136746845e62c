"""The SFTP integration tests run against a real OpenSSH sshd (see tests/openssh_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.openssh_support import openssh_missing_reason, sftp_server

__all__ = ["openssh_missing_reason", "sftp_server"]


@pytest.fixture(autouse=True)
def _no_user_ssh_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Keep the user's agent, keys, config and known_hosts out of every test.
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
