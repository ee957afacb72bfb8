"""A local, stateful ChargeOver REST API v3 (customers and `_bulk`), for tests and benchmarks.

In-process, no socket::

    from neofin_async.chargeover.emulator import Emulator

    emulator = Emulator(lost_rate=0.1, seed=1)     # any EmulatorConfig field as a keyword
    async with emulator.client() as co:            # a ChargeOverClient with the emulator's keys
        await co.customers.bulk_upsert(rows)
    emulator.customer("A-1")                       # the stored record, for assertions

Served (`pip install 'neofin-async[emulator]'`)::

    neofin-async emulator --provider chargeover --port 8767 --lost-rate 0.05

    ChargeOverClient("emulator-public-key", "emulator-private-key",
                     base_url="http://127.0.0.1:8767")

Answers are ChargeOver's envelope with its status codes; HTTP Basic is checked; `external_key`
is UNIQUE; `where`, `order`, `offset`/`limit` and `_count` work on every stored field; `_bulk`
takes up to 25 sub-requests and answers each in order. What ChargeOver does not document is a
setting (`EmulatorConfig`): the `_bulk` call's status when some sub-requests fail, faults of
single sub-requests, page-size caps, reuse of deleted keys.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._app import Emulator
from ._settings import DEFAULT_PORT, DEFAULT_PRIVATE_KEY, DEFAULT_PUBLIC_KEY, EmulatorConfig
from ._state import CustomerStore

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_PRIVATE_KEY",
    "DEFAULT_PUBLIC_KEY",
    "CustomerStore",
    "Emulator",
    "EmulatorConfig",
    "add_arguments",
    "from_args",
]


def add_arguments(group: Any) -> None:
    """ChargeOver's own options of `neofin-async emulator --provider chargeover`."""
    group.add_argument("--public-key", default=DEFAULT_PUBLIC_KEY)
    group.add_argument("--private-key", default=DEFAULT_PRIVATE_KEY)
    group.add_argument(
        "--bulk-error-status",
        type=int,
        default=200,
        help="status of a _bulk call when a sub-request failed (undocumented; default 200)",
    )
    for name in ("fail", "throttle", "lost"):
        group.add_argument(
            f"--bulk-item-{name}-rate",
            type=float,
            default=0.0,
            help=f"share of _bulk sub-requests answered on their own with a '{name}' fault",
        )
    group.add_argument("--max-page-size", type=int, default=500)
    group.add_argument("--reuse-deleted-keys", action="store_true")


def from_args(args: argparse.Namespace) -> Emulator:
    """The emulator the command line describes (the kit's fault options plus ours)."""
    from ..._emulation import fault_arguments  # type: ignore[attr-defined,unused-ignore]

    return Emulator(
        **fault_arguments(args),
        public_key=args.public_key,
        private_key=args.private_key,
        bulk_error_status=args.bulk_error_status,
        bulk_item_fail_rate=args.bulk_item_fail_rate,
        bulk_item_throttle_rate=args.bulk_item_throttle_rate,
        bulk_item_lost_rate=args.bulk_item_lost_rate,
        max_page_size=args.max_page_size,
        reuse_deleted_keys=args.reuse_deleted_keys,
    )
