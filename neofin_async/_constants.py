"""Every default in one place."""

from __future__ import annotations

import httpx

ENVIRONMENTS = {
    "sandbox": "https://api.sandbox.neofin.services",
    "production": "https://api.neofin.services",
}
DEFAULT_ENVIRONMENT = "sandbox"

ENV_API_KEY = "NEOFIN_API_KEY"
ENV_SECRET_KEY = "NEOFIN_SECRET_KEY"
ENV_ENVIRONMENT = "NEOFIN_ENVIRONMENT"
ENV_BASE_URL = "NEOFIN_BASE_URL"
ENV_LOG = "NEOFIN_LOG"

DEFAULT_TIMEOUT = 30.0
"""Seconds for a whole request attempt (connect, send, wait, read)."""
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=64)

# Retry policy (design.md section 3): wait = min(0.5 * 2**n, 8) * U[0.75, 1].
RETRY_INITIAL_DELAY = 0.5
RETRY_MAX_DELAY = 8.0
RETRY_JITTER = 0.25
RETRY_AFTER_MAX = 60.0
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})

MAX_BATCH_SIZE = 50
DEFAULT_CONCURRENCY = 8

SAO_PAULO_TZ = "America/Sao_Paulo"
