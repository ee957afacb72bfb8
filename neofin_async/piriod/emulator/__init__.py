"""A local, stateful Piriod customers API: for tests, notebooks, demos and benchmarks.

In-process, no socket::

    from neofin_async.piriod.emulator import Emulator

    emulator = Emulator()                       # settings: Emulator(lost_rate=0.1, seed=1, ...)
    client = emulator.client()                  # a PiriodClient wired to it
    await client.customers.create({"name": "ACME SpA", "country": "CL", "tax_id": "76.086.428-5"})

Served over HTTP with uvicorn (`pip install 'neofin-async[emulator]'`)::

    neofin-async emulator --provider piriod --port 8766 --lost-rate 0.05

    PiriodClient("emulator-piriod-token", "acc_emulator", base_url="http://127.0.0.1:8766")

`/customers/` and `/customers/{id}/` answer with the documented status codes and bodies:
201 with the whole customer, PATCH (partial) and PUT (full) updates, DELETE archiving a
customer with history and deleting the others (204), 400 field maps, `{"detail": ...}` for
401/403/404/405, page/page_size pages with `next` links. Faults (5xx, 429, hangs, drops,
answers lost after the customer was stored, latency) come from the kit's seeded knobs.
Settings are the fields of `PiriodEmulatorConfig`.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..._emulation import add_settings_arguments, fault_arguments, settings_arguments
from ._app import Emulator
from ._config import DEFAULT_API_TOKEN, DEFAULT_PORT, DEFAULT_WORKSPACE, PiriodEmulatorConfig
from ._state import CustomerRecord, Document

__all__ = [
    "DEFAULT_API_TOKEN",
    "DEFAULT_PORT",
    "DEFAULT_WORKSPACE",
    "CustomerRecord",
    "Document",
    "Emulator",
    "PiriodEmulatorConfig",
    "add_arguments",
    "from_args",
]


OPTIONS = {
    "account_country": "the organization's country (its regulated customers need a tax_id)",
    "object_shape": "how country and state are rendered: the API reference's or the seed's",
    "page_size": "customers per list page when page_size is not given",
}
"""The `PiriodEmulatorConfig` fields the command line sets through the kit, with their help."""


def add_arguments(group: Any) -> None:
    """`neofin-async emulator --provider piriod`'s own options."""
    group.add_argument("--api-token", default=DEFAULT_API_TOKEN, help="the accepted token")
    group.add_argument(
        "--workspace",
        action="append",
        dest="workspaces",
        help=f"an accepted x-simple-workspace (repeatable; default {DEFAULT_WORKSPACE})",
    )
    add_settings_arguments(group, PiriodEmulatorConfig(), OPTIONS)
    group.add_argument(
        "--reference-filter",
        action="store_true",
        help="make ?reference= filter (undocumented; ignored by default)",
    )
    group.add_argument("--public-url", help="the origin written into next/previous links")
    group.add_argument(
        "--next-http", action="store_true", help="write next/previous links with http://"
    )


def from_args(args: argparse.Namespace) -> Emulator:
    """The emulator the command line asks for."""
    return Emulator(
        **fault_arguments(args),
        **settings_arguments(args, OPTIONS),
        api_token=args.api_token,
        workspaces=tuple(args.workspaces or (DEFAULT_WORKSPACE,)),
        reference_filter=args.reference_filter,
        public_url=args.public_url,
        next_http=args.next_http,
    )
