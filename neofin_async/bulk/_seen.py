"""`SeenKeys`: the first input index of every key seen, in about 24 bytes a key.

A dict of strings would grow with the keys' length (and ~100 bytes of overhead each); this
keeps a 64-bit hash of each key and the index where it was first seen, in two flat arrays
(open addressing, linear probing). Two distinct keys share a hash with a probability of
about n**2 / 2**65 (1 in 36 billion for a million keys)."""

from __future__ import annotations

from array import array
from collections.abc import Callable

_EMPTY = 0
_MOST_EXPECTED = 1 << 24
"""Keys `expected()` may make room for at once (a wild guess costs no more than 512 MB)."""
_MASK = (1 << 64) - 1


class SeenKeys:
    """`expected()`, asked when the table first fills, says how many keys to make room for:
    a table grown straight to a million keys places each once, where doubling placed each
    again at every step (two fifths of the time of a million calls to `first`)."""

    __slots__ = ("_expected", "_hashes", "_indexes", "_mask", "_size")

    def __init__(
        self, capacity: int = 1 << 12, *, expected: Callable[[], int] | None = None
    ) -> None:
        self._hashes = array("Q", bytes(8 * capacity))
        self._indexes = array("q", bytes(8 * capacity))
        self._mask = capacity - 1
        self._size = 0
        self._expected = expected

    def __len__(self) -> int:
        return self._size

    def first(self, key: str, index: int) -> int:
        """The index where `key` was first seen; records `index` if it is new."""
        value = (hash(key) & _MASK) or 1  # 0 marks an empty slot
        hashes, mask = self._hashes, self._mask
        slot = value & mask
        while True:
            found = hashes[slot]
            if found == value:
                return self._indexes[slot]
            if found == _EMPTY:
                break
            slot = (slot + 1) & mask
        hashes[slot] = value
        self._indexes[slot] = index
        self._size += 1
        if self._size * 3 > len(hashes) * 2:
            self._grow()
        return index

    def _grow(self) -> None:
        old = zip(self._hashes, self._indexes, strict=True)
        capacity = len(self._hashes) * 2
        if self._expected is not None:  # once: room for what the input expects
            expected, self._expected = min(self._expected(), _MOST_EXPECTED), None
            while capacity * 2 < expected * 3:  # at most two thirds full
                capacity *= 2
        self._hashes = array("Q", bytes(8 * capacity))
        self._indexes = array("q", bytes(8 * capacity))
        self._mask = capacity - 1
        hashes, indexes, mask = self._hashes, self._indexes, self._mask
        for value, index in old:
            if value != _EMPTY:
                slot = value & mask
                while hashes[slot] != _EMPTY:
                    slot = (slot + 1) & mask
                hashes[slot] = value
                indexes[slot] = index

    @property
    def nbytes(self) -> int:
        """Memory held by the two arrays."""
        return 16 * len(self._hashes)
