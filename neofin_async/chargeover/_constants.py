"""ChargeOver's defaults and limits, in one place."""

from __future__ import annotations

ENV_PUBLIC_KEY = "CHARGEOVER_PUBLIC_KEY"
ENV_PRIVATE_KEY = "CHARGEOVER_PRIVATE_KEY"
ENV_BASE_URL = "CHARGEOVER_BASE_URL"

API_PREFIX = "/api/v3"
"""Every path below the instance host; `_bulk` sub-request URIs carry it too."""

MAX_BULK_REQUESTS = 25
"""Sub-requests per `POST /api/v3/_bulk` call (bulk-batch-requests page)."""
DEFAULT_PAGE_SIZE = 100
"""`limit` of each list page; a shorter page ends the listing."""

MAX_UPSERT_ROUNDS = 4
"""`_bulk` calls one chunk may need without faults: PUT, then POST for the missing, then PUT
again for keys a concurrent writer (or a lost answer) created in between; one spare."""
