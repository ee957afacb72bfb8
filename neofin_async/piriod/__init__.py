"""Piriod: an asyncio client for its customer API, on the same bulk engine as Neofin.

    from neofin_async.piriod import PiriodClient

    async with PiriodClient() as piriod:     # PIRIOD_API_TOKEN, PIRIOD_WORKSPACE
        result = await piriod.customers.bulk_upsert(records)   # keyed by `reference`

What the client relies on, and where it comes from (docs.piriod.com: the API reference and its
authentication, error-handling and pagination pages; the older GitBook/readme pages; the
piriod-node-sdk; seed document 003, Piriod's Customer object):

Confirmed
    - Base URL `https://api.piriod.com`; JSON bodies; every path ends with `/` (the node
      SDK builds `/customers/` and `/customers/{id}/`).
    - `Authorization: Token <api_token>` and `x-simple-workspace: acc_...` on every request
      (node SDK, API reference); `x-piriod-test-mode: true` selects test data, kept apart
      from live data (API reference). One active token per user; a new one invalidates it.
    - `POST /customers/` answers 201 with the whole customer; `GET` and `PATCH
      /customers/{id}/` (the node SDK's `update` sends `PUT`, which DRF also accepts as a
      full update); `GET /customers/` lists; `DELETE /customers/{id}/` answers 204,
      archiving a customer with non-draft invoices, terminal subscriptions or sources and
      deleting the others, and 400 while it has active subscriptions.
    - Pages: `page` (from 1) and `page_size` (default 20, max 100), answered `{count, next,
      previous, results}`. Filters: `country`, `email`, `name`, `tax_id`, `created__gte` /
      `__lte`, `metadata__<key>`, `ordering`, `search`; `reference` is not among them.
    - 400: a field map (`{"name": ["This field is required."], "non_field_errors": [...]}`,
      nested maps or lists of maps for sub-fields); a missing workspace header is a 400
      `non_field_errors`; 401, 403 (wrong workspace), 404 (missing or in another workspace),
      405 and most 500s: `{"detail": "..."}`. (The older pages swap 401 and 403.)
    - `country` is written as an ISO id and read back as an object, in two shapes: the seed's
      `{id, name, name_en, phone_code, has_regulation, tax_percent}` and the reference's
      `{id, name, code, has_regulation, currencies}`; `state` likewise: the seed's
      `{id: "USAZ", code, name}` and the reference's `{id: <int>, name, country}`. Both are
      parsed (`CountryInfo`, `StateInfo`).
    - `tax_settings` per country: BR `br_city_code`, `br_city_name`, `br_tax_regime`,
      `br_municipal_tax_number`; CL `cl_activity_description`; MX `mx_tax_scheme` (SAT codes).
    - `tax_id` is required for a country with tax regulation (CL RUT, MX RFC, CO NIT) when it
      is the account's own country.

Inferred (and how the code chooses, losing no data)
    - Field lengths (name 100, address 64, phone 16, zip 16, manager 64, reference 64,
      tax_id 32) are read from the rendered reference's schema; inputs refuse longer values.
    - No batch, upsert or idempotency key exists: `bulk_upsert` looks each `reference` up and
      PATCHes or POSTs, never resending a POST blindly (see `_upsert`). The key is also kept
      in `metadata["neofin_async_reference"]`, because only metadata is a documented filter.
    - django-filter ignores parameters it does not know, so a lookup on an unsupported
      filter would answer every customer: every match is checked client-side and such an
      answer fails the item instead of being trusted.
    - One client saw `next` as `http://`: the pager takes only the page number from `next`
      and always requests the client's own `base_url`; a `next` on another host raises.
    - No request-id header is documented; `x-request-id` is read when present.
    - Tax ids are checked with python-stdnum by the item's country and sent as given (dots
      and dashes kept); whether one is required depends on the account's country, which the
      client does not know, so that is left to the server (its 400 is folded onto the item).
"""

from ._client import PiriodClient
from ._constants import REFERENCE_METADATA_KEY
from ._customers import Customers
from ._dialect import PIRIOD, PiriodDialect
from ._pager import PiriodPager
from ._sample import CUSTOMER_COLUMNS, flat, sample_customers
from .models import (
    MX_TAX_SCHEMES,
    Aggregations,
    BrTaxRegime,
    Contact,
    CountryInfo,
    Customer,
    CustomerInput,
    CustomerUpdate,
    StateInfo,
    TaxSettings,
)

__all__ = [
    "CUSTOMER_COLUMNS",
    "MX_TAX_SCHEMES",
    "PIRIOD",
    "REFERENCE_METADATA_KEY",
    "Aggregations",
    "BrTaxRegime",
    "Contact",
    "CountryInfo",
    "Customer",
    "CustomerInput",
    "CustomerUpdate",
    "Customers",
    "PiriodClient",
    "PiriodDialect",
    "PiriodPager",
    "StateInfo",
    "TaxSettings",
    "flat",
    "sample_customers",
]
