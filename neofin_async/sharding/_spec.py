"""The shard spec: everything a worker needs to run one part of a sync, as plain JSON.

A spec never carries a secret: API keys come from the worker's environment (`_providers`),
and a journal DSN with a password is refused (libpq reads `PGPASSWORD` or `~/.pgpass`
on the worker). Unknown fields are refused too, so nothing else can ride along.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from .._constants import DEFAULT_CONCURRENCY, DEFAULT_MAX_CONNECTION_FAILURES
from ..exports import ReadSettings

DEFAULT_MAX_ERRORS = 1000
TENANT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class FileRange(_Model):
    """Bytes `start` to `end` of a file every worker can read (shared storage), cut at line
    starts; the first `head` bytes of the file (a CSV header) are read before them."""

    kind: Literal["file"] = "file"
    path: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    head: int = Field(default=0, ge=0)
    first_line: int = Field(default=1, ge=1)
    """The file's line number at `start`, for reports."""
    size: int = Field(ge=0)
    """The file's size when it was planned: a worker refuses a file that changed since."""
    read: ReadSettings = ReadSettings()

    @model_validator(mode="after")
    def _ordered(self) -> FileRange:
        if not self.head <= self.start <= self.end <= self.size:
            raise ValueError("needs head <= start <= end <= size")
        return self


class InlineRows(_Model):
    """The items themselves (dicts of API fields), for small shards."""

    kind: Literal["rows"] = "rows"
    rows: list[dict[str, Any]]


def _kind(value: Any) -> str | None:
    """`kind` may be left out: `rows` says inline rows, anything else a file range."""
    if isinstance(value, dict):
        return str(value.get("kind") or ("rows" if "rows" in value else "file"))
    return getattr(value, "kind", None)


ShardInput = Annotated[
    Annotated[FileRange, Tag("file")] | Annotated[InlineRows, Tag("rows")], Discriminator(_kind)
]


class ShardTarget(_Model):
    """Where the worker sends: a named environment (Neofin's sandbox or production, Piriod's
    test mode or live data) and/or a base URL (default: whatever the worker's environment
    says, e.g. `NEOFIN_BASE_URL`)."""

    environment: Literal["sandbox", "production"] | None = None
    base_url: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)


class ShardOptions(_Model):
    """The bulk options that travel in a spec (see `BulkOptions`)."""

    concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1)
    chunk_size: int | None = Field(default=None, ge=1)
    deadline: float | None = Field(default=None, gt=0)
    detect_duplicates: bool = False
    max_connection_failures: int | None = Field(default=DEFAULT_MAX_CONNECTION_FAILURES, ge=1)
    extra_fields: list[str] | Literal["allow"] | None = None


class ShardSpec(_Model):
    """One shard of a sync. `sync_shard(spec)` runs it; `spec.model_dump(mode="json")` is
    what a queue carries."""

    version: Literal[1] = 1
    provider: str = "neofin"
    resource: str
    input: ShardInput
    target: ShardTarget = ShardTarget()
    journal: str | None = None
    """A SQLite path (a file every worker sees) or a `postgresql://` DSN, without password."""
    tenant: str | None = None
    """Whose account: names the worker's environment variables holding its keys
    (`NEOFIN_<TENANT>_API_KEY`, ...); None: the unprefixed ones."""
    tenant_limit: int | None = Field(default=None, ge=1)
    """At most this many shards of the same account run at once, across every worker
    (needs a PostgreSQL journal: the slots are advisory locks in its database)."""
    slot_wait: float = Field(default=10.0, ge=0)
    """Seconds to wait for a free slot before giving up (`TenantBusy`; a queue retries)."""
    options: ShardOptions = ShardOptions()
    shard: int = Field(default=0, ge=0)
    """This shard's number in its plan (results are folded in this order)."""
    max_errors: int = Field(default=DEFAULT_MAX_ERRORS, ge=0)
    """At most this many not-accepted items are listed in the result (all are counted)."""

    @field_validator("tenant")
    @classmethod
    def _tenant_name(cls, tenant: str | None) -> str | None:
        if tenant is not None and not TENANT_PATTERN.fullmatch(tenant):
            raise ValueError(
                "a tenant is 1 to 63 letters, digits, '_' or '-', starting with a letter or digit"
            )
        return tenant

    @field_validator("journal")
    @classmethod
    def _no_password(cls, journal: str | None) -> str | None:
        if journal is not None and _has_password(journal):
            raise ValueError(
                "a shard spec carries no secret: remove the password from the journal DSN "
                "and give it to the workers (PGPASSWORD or ~/.pgpass)"
            )
        return journal


def is_postgres(journal: str | None) -> bool:
    return journal is not None and journal.startswith(("postgresql://", "postgres://"))


def _has_password(journal: str) -> bool:
    if not is_postgres(journal):
        return False
    userinfo = journal.split("://", 1)[1].split("@", 1)
    return (len(userinfo) == 2 and ":" in userinfo[0]) or "password=" in journal.lower()
