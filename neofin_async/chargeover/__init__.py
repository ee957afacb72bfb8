"""ChargeOver (US recurring billing, REST API v3): customers, and a bulk upsert through `_bulk`.

    from neofin_async.chargeover import ChargeOverClient

    async with ChargeOverClient(public_key, private_key,
                                base_url="https://example.chargeover.com") as co:
        customer_id = await co.customers.create({"company": "Acme", "external_key": "A-1"})
        customer = await co.customers.retrieve_by_external_key("A-1")
        async for customer in co.customers.list(where={"bill_state": "MN"}):
            ...
        result = await co.customers.bulk_upsert(rows)    # nf.BulkResult, keyed by external_key

Keys and the instance URL also come from `CHARGEOVER_PUBLIC_KEY`, `CHARGEOVER_PRIVATE_KEY`
and `CHARGEOVER_BASE_URL`. `neofin_async.chargeover.emulator.Emulator` is a local stand-in.

What the code relies on, and where it comes from
------------------------------------------------
Confirmed (ChargeOver's docs at developer.chargeover.com, its PHP, Python and C# SDKs, and the
recorded answers of a real instance in the chargeover_ruby test fixtures):

* HTTP Basic with username = public key, password = private key (C# `BaseService`, PHP
  `CURLAUTH_BASIC`, Python `add_credentials`); without it a 401 with
  `Invalid or incorrect authorization [Missing (basic) authorization header.]` (seed 004).
* Every answer is `{"code", "status": "OK"|"Error", "message", "details", "response"}`;
  errors carry `response: false` (seed 004) or `null` (the fixtures' 404). The PHP SDK
  treats any `status != "OK"` as an error, whatever the HTTP status.
* `POST /api/v3/customer` -> 201 `response: {"id": N}` (the customer_id); `PUT
  /api/v3/customer/{id}` -> 202 `response: {"id": N}`, and fields left out keep their values
  (fixture `update_customer`); `GET /api/v3/customer/{id}` -> 200 with the object; a missing
  one -> 404 `This customer does not exist.`; an empty create -> 400 `A required parameter
  was missing: No data.` (fixtures); 429 when over the rate limit, 500 for ChargeOver's own
  failures (http-status-codes page). Responses carry no documented rate-limit headers.
* `GET /api/v3/customer/external_key:{key}` (external-keys page), and "when making API
  requests, you can always use the external key value instead of the ChargeOver id value".
* `external_key` is a UNIQUE constraint: a second create with the same key is an error (PHP
  `example_error_external_key.php`); by default a key cannot be reused after its customer is
  deleted (external-keys page).
* Lists: `GET /api/v3/customer?where=...&order=customer_id:ASC&offset=0&limit=10`, the answer's
  `response` a JSON array (fixture `customer_by_key`; PHP `find`, C# `Query`); a page shorter
  than `limit` is the last (PHP `example_paginate_customers.php`). `GET
  /api/v3/customer/_count?where=...` answers the count in `response` (PHP `count`).
* `where`: `field:OPERATOR:value` clauses joined by commas (PHP, Python and C# SDKs); a `:` or
  `,` inside a value is escaped with a backslash (escape-syntax page; the PHP SDK escapes `,`).
  Filterable customer fields per the Python SDK: customer_id, bill_state, ship_state,
  bill_country, ship_country, external_key, token, company, superuser_id, superuser_email.
* `POST /api/v3/_bulk`: a JSON array of `{"request_method", "uri": "/api/v3/customer...",
  "payload"}`, at most 25; the answer's `response._bulk` holds one `{code, status, message,
  response}` per request, in order (bulk-batch-requests page; PHP `Bulk.php`,
  `example_bulk.php`).
* Write fields: seed 004's list (names from the OpenAPI and the C# `Customer` model); read
  fields: "Get a specific customer" and the C# `CustomerResult`. `bill_country` is free text
  ("United States", "US", "USA" all appear).

Inferred (not documented; chosen so that no data is lost, and configurable in the emulator):

* Whether `_bulk` is atomic, and its own status when some sub-requests fail: each
  sub-response is taken as the truth for its request, whatever the outer status; an outer
  non-2xx whose body still has a matching `_bulk` list is folded the same way
  (`EmulatorConfig.bulk_error_status`).
* Whether one sub-request can answer 429/5xx on its own: if it does, only that item is sent
  again (`bulk_item_throttle_rate`, `bulk_item_fail_rate`, `bulk_item_lost_rate`).
* That `PUT /customer/external_key:{key}` updates like `PUT /customer/{id}` (the "always use
  the external key" sentence), with the key percent-encoded in the path.
* The duplicate-key error's text: undocumented, so nothing depends on it (see `_upsert`).
* Whether ChargeOver caps `limit`: a listing goes on until an empty page (not a short one),
  advancing `offset` by what came back, so a capped page loses nothing; it costs one
  request more per listing (`EmulatorConfig.max_page_size`).
* Message texts of the emulator other than those quoted above.
"""

from ._client import ChargeOverClient
from ._customers import CustomerPager, Customers
from ._dialect import CHARGEOVER, ChargeOverDialect
from ._models import Customer, CustomerChanges, CustomerInput
from ._sample import CUSTOMER_COLUMNS, from_neofin_row, sample_customers
from ._upsert import UpsertOrder
from ._where import build_where

__all__ = [
    "CHARGEOVER",
    "CUSTOMER_COLUMNS",
    "ChargeOverClient",
    "ChargeOverDialect",
    "Customer",
    "CustomerChanges",
    "CustomerInput",
    "CustomerPager",
    "Customers",
    "UpsertOrder",
    "build_where",
    "from_neofin_row",
    "sample_customers",
]
