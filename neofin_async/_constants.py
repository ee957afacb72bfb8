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
DEFAULT_MAX_CONNECTION_FAILURES = 3
"""Chunks in a row that fail without reaching the API before a bulk run stops."""
DEFAULT_DRAIN_LIMIT = 1_000_000
"""Input items a stopped bulk run still reads, to count them `not_sent`."""
CONFIRM_TIMEOUT = 60.0
"""Seconds `confirm()` polls before reporting what is still missing."""
CONFIRM_INTERVAL = 2.0
JOURNAL_WINDOW = 512
"""Input items read ahead so the journal is asked about their keys in one query."""
MAX_SETTLED = 1024
"""Items settled without sending (invalid, or unchanged in a journal) that end a bulk chunk:
a run that sends little still reports progress, in flat memory."""

SAO_PAULO_TZ = "America/Sao_Paulo"

# Webhooks (neofin_async.webhooks, contrib.fastapi).
WEBHOOK_TOLERANCE = 300.0
"""Seconds either side of `X-Neofin-Datetime` a delivery is accepted."""
WEBHOOK_DEDUPE_SIZE = 10_000
"""Webhook ids remembered by the deduplicator."""
WEBHOOK_DEDUPE_TTL = 3600.0
"""Seconds an id is remembered: Neofin's last retry comes about 25 minutes after the first."""
WEBHOOK_API_VERSION = "2023-07"
WEBHOOK_PATH = "/neofin/webhooks"
WEBHOOK_MAX_BODY_SIZE = 1024 * 1024

# Bounds the input models and the emulators agree on (refused as a field error naming the item).
MAX_CENTAVOS = 2**53 - 1
"""Largest amount: Neofin renders money as JSON floats, exact only up to 2**53."""
MAX_INSTALLMENTS = 999
MAX_TIMESTAMP = 221_845_392_000
"""Latest date (9000-01-01T00:00:00Z): 999 monthly installments later is still before 9999."""
MAX_TEXT_LENGTH = 10_000
"""Longest free-text field, in characters (base64 files excepted)."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of a JSON value read from a request or a response."""
MAX_FIELD_DEPTH = MAX_JSON_DEPTH - 3
"""Deepest nesting of a free JSON field of an item (`boleto`, pass-through fields), counting the
value itself (`{"a": [1]}` is 2): the body adds three levels (`{"billings": [item]}`)."""
MAX_REQUEST_BYTES = 6 * 1024 * 1024
"""Largest request body: AWS Lambda's synchronous payload limit (Neofin runs on Chalice)."""
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Largest response body the client reads (after decompression)."""
MAX_ITEM_MESSAGE_LENGTH = 2_000
"""Characters of server messages kept per item in a bulk result."""
