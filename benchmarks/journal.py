"""Benchmark 6: the nightly re-run through a journal, 1% changed (library path).

Night one sends every billing and records it in a SQLite journal; night two sends the same
billings, one in a hundred with a new amount, and the journal leaves out those accepted
before with the same content. Both nights are `client.billings.bulk_upsert(items,
journal=path)` with dicts from a generator (every item is still validated: its content hash
is that of the item as sent), on the aiohttp backend at concurrency 16, against the sink. A
third run, night one without a journal, shows what the journal itself costs.

A library user whose source gives a cheap fingerprint of each record (a row's hash, an
`updated_at`) can pass `Sourced` items instead: an unchanged one is then skipped on its
fingerprint, without being validated. The last two runs do that, with the hash of each
dict's canonical JSON as the fingerprint (what a CSV reader does with its lines).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from neofin_async.bulk import Sourced

from . import servers
from .clients import Run, ours
from .data import billings, next_night
from .servers import Target

CONCURRENCY = 16
CHANGED_EVERY = 100
BACKEND = "aiohttp"


def sourced(items: Iterable[dict[str, Any]]) -> Iterator[Sourced]:
    """Each item with its key and a fingerprint of its canonical JSON."""
    for item in items:
        digest = hashlib.blake2b(json.dumps(item, sort_keys=True).encode(), digest_size=16)
        yield Sourced(item["integration_identifier"], digest.digest(), lambda item=item: item)


async def _night(target: Target, items: Any, journal: Path | None) -> dict[str, Any]:
    servers.reset(target)
    options = {} if journal is None else {"journal": journal}
    run: Run = await ours(target, items, CONCURRENCY, BACKEND, **options)
    assert run.result is not None
    result = run.result
    return {
        "items": run.items,
        "seconds": run.seconds,
        "items_per_second": run.rate,
        "cpu_us_per_item": run.cpu_us_per_item,
        "requests": result.requests,
        "server_requests": servers.stats(target)["requests"],
        "accepted": result.accepted,
        "unchanged": result.unchanged,
        "sent": result.accepted - result.unchanged,
        "failed": result.counts.failed,
    }


async def run(quick: bool) -> dict[str, Any]:
    count = 50_000 if quick else 1_000_000
    with servers.sink() as target, tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "journal.sqlite3"
        plain = await _night(target, billings(count), None)
        first = await _night(target, billings(count), journal)
        second = await _night(target, next_night(count, CHANGED_EVERY), journal)
        journal_mb = journal.stat().st_size / 2**20
        fingerprints = Path(tmp) / "sourced.sqlite3"
        first_sourced = await _night(target, sourced(billings(count)), fingerprints)
        second_sourced = await _night(
            target, sourced(next_night(count, CHANGED_EVERY)), fingerprints
        )
    return {
        "items": count,
        "changed_every": CHANGED_EVERY,
        "backend": BACKEND,
        "concurrency": CONCURRENCY,
        "journal_mb": journal_mb,
        "without_journal": plain,
        "first_night": first,
        "second_night": second,
        "first_night_sourced": first_sourced,
        "second_night_sourced": second_sourced,
        "journal_cost": first["items_per_second"] / plain["items_per_second"],
        "rerun_wall_fraction": second["seconds"] / first["seconds"],
        "rerun_request_fraction": second["requests"] / first["requests"],
        "sourced_rerun_wall_fraction": second_sourced["seconds"] / first_sourced["seconds"],
    }
