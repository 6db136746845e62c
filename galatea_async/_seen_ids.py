"""The ids a listing walk has handed over, remembered exactly in about 16 bytes an id (pure).

A walk never hands an item over twice, so it remembers every id for the whole walk. As Python
strings in a set, 50,000 order ids cost about 10 MiB, the only memory of ``results.sync`` that
grows with the number of files. The first ``PLAIN_LIMIT`` ids stay in a set (a listing of that
size pays nothing more); after them, an id in the canonical UUID spelling (what the API sends)
is kept as its 16 bytes, appended to one of ``BUCKETS`` byte strings chosen by Python's salted
hash of those bytes, so a server cannot pick ids that pile into one bucket. Nothing is ever
rehashed: growing is an append. Any other id stays in the set as it is. Two ids are the same
only when they are equal: the 16 bytes stand for exactly one spelling.
"""

from __future__ import annotations

from collections.abc import Hashable

from galatea_async._download._confinement import is_canonical_id

__all__ = ["BUCKETS", "PLAIN_LIMIT", "SeenIds"]

PLAIN_LIMIT = 16_384
BUCKETS = 4_096
_KEY = 16


class SeenIds:
    """A set of ids that only grows: ``key in seen`` and ``seen.add_new(key)``."""

    __slots__ = ("_buckets", "_plain")

    def __init__(self) -> None:
        self._plain: set[Hashable] = set()
        self._buckets: list[bytearray] | None = None

    def __len__(self) -> int:
        packed = sum(map(len, self._buckets)) // _KEY if self._buckets is not None else 0
        return len(self._plain) + packed

    def __contains__(self, key: object) -> bool:
        if key in self._plain:
            return True
        buckets = self._buckets
        if buckets is None or not is_canonical_id(key):
            return False
        packed = _packed(key)
        return _holds(buckets[hash(packed) % BUCKETS], packed)

    def add_new(self, key: Hashable) -> bool:
        """Remember ``key``; whether it was new."""
        if key in self._plain:
            return False
        buckets = self._buckets
        if buckets is None:
            self._plain.add(key)
            if len(self._plain) >= PLAIN_LIMIT:
                self._buckets = [bytearray() for _ in range(BUCKETS)]
            return True
        if not is_canonical_id(key):
            self._plain.add(key)
            return True
        packed = _packed(key)
        bucket = buckets[hash(packed) % BUCKETS]
        if _holds(bucket, packed):
            return False
        bucket += packed
        return True


def _packed(key: str) -> bytes:
    """The 16 bytes of a canonical UUID's text."""
    return bytes.fromhex(key.replace("-", ""))


def _holds(bucket: bytearray, packed: bytes) -> bool:
    """Whether ``packed`` is one of the bucket's keys (a match across two keys is not)."""
    at = bucket.find(packed)
    while at != -1:
        if at % _KEY == 0:
            return True
        at = bucket.find(packed, at + 1)
    return False
