"""The Piriod emulator's settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..._emulation import EmulatorSettings
from .._constants import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from .._geo import COUNTRIES
from ._state import Shape

DEFAULT_API_TOKEN = "emulator-piriod-token"
DEFAULT_WORKSPACE = "acc_emulator"
DEFAULT_PORT = 8766


@dataclass(frozen=True)
class PiriodEmulatorConfig(EmulatorSettings):
    """Every Piriod emulator knob, besides the inherited fault knobs (`fail_rate`,
    `throttle_rate`, `hang_rate`, `drop_rate`, `lost_rate`, `latency_ms`, ...), per-route
    `faults`, `seed` (also of the generated `cus_` ids) and the log sizes."""

    api_token: str = dataclasses.field(default=DEFAULT_API_TOKEN, repr=False)
    workspaces: tuple[str, ...] = (DEFAULT_WORKSPACE,)
    """The organizations the token reaches (`x-simple-workspace`); others answer 403."""
    account_country: str = "CL"
    """The organization's country: a regulated customer of this country needs a `tax_id`
    (and a Mexican organization's Mexican customers `tax_settings.mx_tax_scheme`)."""
    reference_filter: bool = False
    """Whether `GET /customers/?reference=` filters. The API reference does not list it
    among the filters, and django-filter ignores parameters it does not know (answering
    every customer), so by default it is ignored."""
    object_shape: Shape = "reference"
    """How `country` and `state` are rendered: `"reference"` (the API reference: country
    `{id, name, code, has_regulation, currencies}`, state `{id: <int>, name, country}`) or
    `"seed"` (the seed document: country `{id, name, name_en, phone_code, has_regulation,
    tax_percent}`, state `{id: "USAZ", code, name}`)."""
    page_size: int = DEFAULT_PAGE_SIZE
    max_page_size: int = MAX_PAGE_SIZE
    public_url: str | None = None
    """The origin written into `next` / `previous` links (default: `http://` + the request's
    Host header)."""
    next_http: bool = False
    """Write `next` / `previous` links with `http://` whatever `public_url` says, as one
    client saw Piriod do."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= self.page_size <= self.max_page_size:
            raise ValueError("page_size must be between 1 and max_page_size")
        if self.object_shape not in ("reference", "seed"):
            raise ValueError("object_shape must be 'reference' or 'seed'")
        country = self.account_country.strip().upper()
        if country not in COUNTRIES:
            raise ValueError(f"account_country must be one of {', '.join(sorted(COUNTRIES))}")
        object.__setattr__(self, "account_country", country)
