"""The pure SFTP rules: what to compare before resuming, stale partials, cipher order."""

from __future__ import annotations

import pytest

from galatea_async._sftp_ciphers import PREFERRED_CIPHERS, cipher_preference, default_ciphers
from galatea_async._sftp_paths import describe_remote
from galatea_async._sftp_resume import (
    RESUME_CHECK_BYTES,
    STALE_PARTIAL_SECONDS,
    RemoteEntry,
    Stretch,
    resume_offset,
    stale_partials,
    stretch_to_compare,
)
from galatea_async.sftp import SftpUploader

MIB = 1024 * 1024


@pytest.mark.parametrize("partial_size", [None, 0, 11 * MIB])
def test_missing_empty_or_longer_partial_starts_from_zero(partial_size: int | None) -> None:
    assert stretch_to_compare(partial_size, 10 * MIB) is None
    assert resume_offset(None, b"", b"") == 0


def test_the_last_mebibyte_of_a_partial_is_compared() -> None:
    assert stretch_to_compare(5 * MIB, 10 * MIB) == Stretch(4 * MIB, RESUME_CHECK_BYTES)


def test_a_small_partial_is_compared_whole() -> None:
    assert stretch_to_compare(1000, 10 * MIB) == Stretch(0, 1000)


def test_the_compared_stretch_covers_every_write_that_can_be_in_flight() -> None:
    # A server applying writes out of order can leave a hole only among those.
    assert stretch_to_compare(9 * MIB, 10 * MIB, in_flight=4 * MIB) == Stretch(5 * MIB, 4 * MIB)


def test_a_complete_partial_resumes_at_its_end() -> None:
    stretch = stretch_to_compare(10 * MIB, 10 * MIB)
    assert resume_offset(stretch, b"a" * MIB, b"a" * MIB) == 10 * MIB


def test_equal_bytes_resume_after_the_stretch_and_different_ones_restart() -> None:
    stretch = Stretch(100, 4)
    assert resume_offset(stretch, b"abcd", b"abcd") == 104
    assert resume_offset(stretch, b"abcd", b"abcx") == 0
    assert resume_offset(stretch, b"abcd", b"abc") == 0, "a short read is not a match"
    assert resume_offset(stretch, b"abc", b"abc") == 0, "neither is a short local read"


def test_only_old_partials_of_the_same_name_are_stale() -> None:
    now = 1_000_000_000.0
    old = now - STALE_PARTIAL_SECONDS - 1
    entries = [
        RemoteEntry(".a.vcf.0123456789ab.part", old),
        RemoteEntry(".a.vcf.ba9876543210.part", now - 60),
        RemoteEntry(".b.vcf.0123456789ab.part", old),
        RemoteEntry("a.vcf", old),
        RemoteEntry(".a.vcf.gz.0123456789ab.part", old),
        RemoteEntry(".a.vcf.not-a-partial.part", old),
    ]
    assert stale_partials(entries, "a.vcf", now=now) == [".a.vcf.0123456789ab.part"]


def test_aes_gcm_is_offered_first_then_chacha_then_the_rest() -> None:
    available = [
        "chacha20-poly1305@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-gcm@openssh.com",
        "aes128-ctr",
    ]
    assert cipher_preference(None, None, available) == [
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
        "aes128-ctr",
    ]


def test_ciphers_the_library_lacks_are_not_offered() -> None:
    assert cipher_preference(None, None, ["aes128-ctr"]) == ["aes128-ctr"]


def test_an_explicit_choice_wins_over_everything() -> None:
    assert cipher_preference(["aes256-ctr"], ["aes128-ctr"], default_ciphers()) == ["aes256-ctr"]


def test_a_ciphers_line_in_the_ssh_config_is_left_to_apply() -> None:
    assert cipher_preference(None, ["aes256-ctr"], default_ciphers()) is None


def test_the_installed_asyncssh_offers_our_preferred_ciphers() -> None:
    offered = cipher_preference(None, None, default_ciphers())
    assert offered is not None
    assert offered[: len(PREFERRED_CIPHERS)] == list(PREFERRED_CIPHERS)


@pytest.mark.parametrize("path", ["/data/2025-Feb-27/a.vcf", "2025-Feb-27/a.vcf"])
def test_remote_paths_are_described_without_a_double_slash(path: str) -> None:
    described = describe_remote("sftp.example", 22, path)
    assert described == f"{path} on sftp.example:22"
    assert "//" not in described


def test_a_single_cipher_name_is_refused_with_the_list_to_pass_instead() -> None:
    with pytest.raises(TypeError, match=r"\['aes128-gcm@openssh.com'\]"):
        SftpUploader("127.0.0.1", "user", encryption_algs="aes128-gcm@openssh.com")


@pytest.mark.parametrize(("option", "value"), [("max_retries", -1), ("retry_backoff", -1.0)])
def test_negative_retry_settings_are_refused(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        SftpUploader("127.0.0.1", "user", **{option: value})  # type: ignore[arg-type]
