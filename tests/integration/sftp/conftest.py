"""The SFTP integration tests run against a real OpenSSH sshd (see tests/openssh_support.py)."""

from __future__ import annotations

from tests.openssh_support import openssh_missing_reason, sftp_server
from tests.sftp_support import _no_user_ssh_setup

__all__ = ["_no_user_ssh_setup", "openssh_missing_reason", "sftp_server"]
