"""Every default in one place."""

from __future__ import annotations

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
DEFAULT_MAX_CONNECTIONS = 100
"""Connections the client keeps open: at least the largest bulk `concurrency` you use."""
ENV_HTTP_BACKEND = "NEOFIN_HTTP_BACKEND"
DEFAULT_HTTP_BACKEND = "httpx"

# Retry policy (design.md section 3): wait = min(0.5 * 2**n, 8) * U[0.75, 1].
RETRY_INITIAL_DELAY = 0.5
RETRY_MAX_DELAY = 8.0
RETRY_JITTER = 0.25
RETRY_AFTER_MAX = 60.0
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})

MAX_BATCH_SIZE = 50
DEFAULT_CONCURRENCY = 8

SAO_PAULO_TZ = "America/Sao_Paulo"
