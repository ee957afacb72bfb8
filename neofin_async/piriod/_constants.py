"""Every Piriod default in one place."""

from __future__ import annotations

BASE_URL = "https://api.piriod.com"

ENV_API_TOKEN = "PIRIOD_API_TOKEN"
ENV_WORKSPACE = "PIRIOD_WORKSPACE"
ENV_BASE_URL = "PIRIOD_BASE_URL"
ENV_TEST_MODE = "PIRIOD_TEST_MODE"

WORKSPACE_HEADER = "x-simple-workspace"
TEST_MODE_HEADER = "x-piriod-test-mode"
REQUEST_ID_HEADER = "x-request-id"
"""(inferred) Piriod documents no request-id header; Django deployments commonly send this."""

PAGE_SIZE = 100
"""`page_size` the client asks for when listing: the documented maximum (default 20)."""
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

MAX_CHUNK_SIZE = 25
"""Items whose requests a bulk "chunk" sends at once (Piriod takes one item per request)."""
DEFAULT_CHUNK_SIZE = 10

REFERENCE_METADATA_KEY = "neofin_async_reference"
"""Metadata key holding the upsert key: `metadata__<key>=` is a documented filter,
`reference=` is not, so lookups go through metadata."""

# Field lengths of the API reference's CustomerWrite schema.
MAX_NAME = 100
MAX_ADDRESS = 64
MAX_PHONE = 16
MAX_ZIP_CODE = 16
MAX_MANAGER = 64
MAX_REFERENCE = 64
MAX_TAX_ID = 32
MAX_STATE_CODE = 6

EMAIL_DOMAIN = "example.com"
"""Sample customers' e-mail domain, reserved for examples (RFC 2606)."""
