"""ChargeOver customers: what we send (strict) and what comes back (lenient).

The write fields are the seed's "Create a customer" list (docs/004) in its order, with the
names of ChargeOver's OpenAPI and C# SDK; the read fields are those of "Get a specific
customer" and the SDKs' `CustomerResult`. Unknown read fields are kept (`model_extra`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator

from .._constants import MAX_TEXT_LENGTH
from .._taxid import check_tax_id
from ..models import Count, Email, InputModel, Number, OutputModel, Text


def _required(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _key(value: str) -> str:
    """An external key is a lookup value: no surrounding spaces, no control characters."""
    if value != value.strip() or not value:
        raise ValueError("must not be empty nor start or end with spaces")
    if not value.isprintable():
        raise ValueError("must not contain control or other unprintable characters")
    return value


Str = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]
Company = Annotated[str, Field(max_length=MAX_TEXT_LENGTH), AfterValidator(_required)]
ExternalKey = Annotated[str, Field(max_length=MAX_TEXT_LENGTH), AfterValidator(_key)]
Delivery = Literal["email", "print"]


class CustomerChanges(InputModel):
    """Fields to write on an existing customer (`PUT /customer/{id}`): all optional; fields
    left out keep their value on the server."""

    parent_customer_id: int | None = None
    external_key: ExternalKey | None = None
    company: Company | None = None
    language_id: int | None = None
    currency_id: int | None = None
    class_id: int | None = None
    admin_id: int | None = None
    campaign_id: int | None = None
    campaign_details: Str | None = None
    superuser_username: Str | None = None
    superuser_email: Email | None = None
    superuser_name: Str | None = None
    superuser_first_name: Str | None = None
    superuser_last_name: Str | None = None
    superuser_phone: Str | None = None
    bill_addr1: Str | None = None
    bill_addr2: Str | None = None
    bill_addr3: Str | None = None
    bill_city: Str | None = None
    bill_state: Str | None = None
    bill_postcode: Str | None = None
    bill_country: Str | None = None
    ship_addr1: Str | None = None
    ship_addr2: Str | None = None
    ship_addr3: Str | None = None
    ship_city: Str | None = None
    ship_state: Str | None = None
    ship_postcode: Str | None = None
    ship_country: Str | None = None
    custom_1: Str | None = None
    custom_2: Str | None = None
    custom_3: Str | None = None
    custom_4: Str | None = None
    custom_5: Str | None = None
    custom_6: Str | None = None
    custom_7: Str | None = None
    custom_8: Str | None = None
    custom_9: Str | None = None
    custom_10: Str | None = None
    custom_11: Str | None = None
    custom_12: Str | None = None
    custom_13: Str | None = None
    custom_14: Str | None = None
    custom_15: Str | None = None
    custom_16: Str | None = None
    custom_17: Str | None = None
    custom_18: Str | None = None
    custom_19: Str | None = None
    custom_20: Str | None = None
    brand_id: int | None = None
    terms_id: int | None = None
    no_taxes: bool | None = None
    no_dunning: bool | None = None
    no_latefees: bool | None = None
    no_procfees: bool | None = None
    invoice_delivery: Delivery | None = None
    dunning_delivery: Delivery | None = None
    tax_ident: Str | None = None
    tags: list[Str] | None = None

    @field_validator("tax_ident")
    @classmethod
    def _tax_ident_of_country(cls, value: str | None, info: ValidationInfo) -> str | None:
        # bill_country is declared (so validated) before tax_ident.
        if value:
            check_tax_id(value, info.data.get("bill_country"))
        return value


class CustomerInput(CustomerChanges):
    """A customer for `POST /customer` (and each item of `customers.bulk_upsert`).

    `company` is required. `tax_ident` is checked with python-stdnum when `bill_country` is
    Chile, Mexico, Brazil or Colombia (by code or name); other countries' ids are sent as
    given. E-mails are checked, text fields are sent unchanged."""

    company: Company


def _naive_datetime(value: Any) -> Any:
    """ChargeOver writes `"2017-05-18 09:36:19"` in the account's time zone, which the API
    does not state: parsed as a naive datetime; unreadable text -> None."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            return None
    return value


DateTime = Annotated[datetime | None, BeforeValidator(_naive_datetime)]


class Customer(OutputModel):
    """A customer as ChargeOver returns it (`GET /customer/{id}`, lists, queries)."""

    customer_id: Count = None
    parent_customer_id: Count = None
    external_key: Text = None
    token: Text = None
    company: Text = None
    display_as: Text = None
    superuser_id: Count = None
    superuser_username: Text = None
    superuser_email: Text = None
    superuser_name: Text = None
    superuser_first_name: Text = None
    superuser_last_name: Text = None
    superuser_phone: Text = None
    superuser_token: Text = None
    bill_addr1: Text = None
    bill_addr2: Text = None
    bill_addr3: Text = None
    bill_city: Text = None
    bill_state: Text = None
    bill_postcode: Text = None
    bill_country: Text = None
    bill_block: Text = None
    ship_addr1: Text = None
    ship_addr2: Text = None
    ship_addr3: Text = None
    ship_city: Text = None
    ship_state: Text = None
    ship_postcode: Text = None
    ship_country: Text = None
    ship_block: Text = None
    language_id: Count = None
    currency_id: Count = None
    currency_iso4217: Text = None
    currency_symbol: Text = None
    class_id: Count = None
    admin_id: Count = None
    campaign_id: Count = None
    brand_id: Count = None
    terms_id: Count = None
    terms_name: Text = None
    terms_days: Count = None
    no_taxes: bool | None = None
    no_dunning: bool | None = None
    no_latefees: bool | None = None
    no_procfees: bool | None = None
    invoice_delivery: Text = None
    dunning_delivery: Text = None
    tax_ident: Text = None
    tags: list[Any] | None = None
    paid: Number = None
    total: Number = None
    balance: Number = None
    default_paymethod: Text = None
    customer_status_id: Text = None
    customer_status_name: Text = None
    customer_status_str: Text = None
    customer_status_state: Text = None
    url_self: Text = None
    write_datetime: DateTime = None
    mod_datetime: DateTime = None

    def custom(self, number: int) -> str | None:
        """Custom field `custom_<number>` (1 to 20), kept as extra data."""
        value = (self.model_extra or {}).get(f"custom_{number}")
        return None if value is None else str(value)
