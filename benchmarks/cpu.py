"""Benchmark 5: CPU cost per item of validation and serialisation, against plain `json.dumps`."""

from __future__ import annotations

import json
import timeit
from collections.abc import Callable
from typing import Any

import neofin_async as nf
from neofin_async.models import encode_batch

from .data import CHUNK, billing, distinct_billing


def _per_item(function: Callable[[], Any], items_per_call: int, calls: int) -> float:
    """Microseconds per item, best of 5 repeats."""
    seconds = min(timeit.repeat(function, number=calls, repeat=5))
    return seconds / calls / items_per_call * 1e6


def run(quick: bool) -> dict[str, Any]:
    calls = 200 if quick else 1_000
    items = [billing(i) for i in range(CHUNK)]
    models = [nf.BillingInput.model_validate(item) for item in items]

    def validate() -> None:
        for item in items:
            nf.BillingInput.model_validate(item)

    def validate_and_serialise() -> None:
        for item in items:
            nf.BillingInput.model_validate(item).to_json()

    def dump_then_dumps() -> None:  # the careless way: a dict round trip, then json.dumps
        json.dumps({"billings": [m.model_dump(mode="json", exclude_none=True) for m in models]})

    microseconds = {
        "BillingInput.model_validate": _per_item(validate, CHUNK, calls),
        "model_validate + to_json": _per_item(validate_and_serialise, CHUNK, calls),
        "encode_batch (50 models)": _per_item(
            lambda: encode_batch("billings", models), CHUNK, calls
        ),
        "model_dump + json.dumps (careless)": _per_item(dump_then_dumps, CHUNK, calls),
        "json.dumps (50 dicts, baseline)": _per_item(
            lambda: json.dumps({"billings": items}).encode(), CHUNK, calls
        ),
    }
    # Distinct documents: a fresh batch for every call, so no document is seen twice.
    distinct = [distinct_billing(i) for i in range(CHUNK * calls)]
    batches = iter([distinct[i : i + CHUNK] for i in range(0, len(distinct), CHUNK)])

    def validate_distinct() -> None:
        for item in next(batches):
            nf.BillingInput.model_validate(item)

    return {
        "microseconds_per_item": microseconds,
        "distinct": {
            "BillingInput.model_validate": _per_item(validate_distinct, CHUNK, calls // 5)
        },
        "fields_per_item": len(items[0]),
    }
