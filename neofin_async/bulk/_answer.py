"""What a provider hands the engine: per-position outcomes of one chunk, and sourced items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Answer:
    """What a provider learnt of one chunk's items, by their position in the chunk.

    Positions in neither `rejected` nor `failed` are accepted."""

    rejected: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    """Refused by the server, with its field messages."""
    failed: dict[int, BaseException] = field(default_factory=dict)
    """Failed after the retries, or with an outcome we cannot tell."""
    requests: int = 1
    """HTTP requests made for the chunk (retries are counted through `on_retry`)."""
    request_id: str | None = None
    stop: BaseException | None = None
    """Stop the run once this chunk is recorded (e.g. a 401 on one of its requests)."""


@dataclass(slots=True)
class Sourced:
    """An input item with a cheap fingerprint of its source, so that a journal can skip an
    unchanged item without parsing or validating it (a CSV reader yields these)."""

    key: str | None
    """The item's key, read without parsing the whole record."""
    digest: bytes
    """A hash of the source record and of the options it is read with."""
    load: Callable[[], Any]
    """The item itself (a dict, a model, or an `InvalidItemError`), parsed on demand."""
