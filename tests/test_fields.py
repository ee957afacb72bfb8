"""The field catalogue (`neofin_async._fields`) is the models' fields, and the emulator's."""

from __future__ import annotations

import httpx
from conftest import VALID_CNPJ, billing_item

from neofin_async import _fields
from neofin_async.emulator import (
    DEFAULT_API_KEY,
    DEFAULT_SECRET_KEY,
    IN_PROCESS_BASE_URL,
    Emulator,
    _validation,
)
from neofin_async.models import BillingInput, Customer, CustomerInput

KEYS = {"api-key": DEFAULT_API_KEY, "secret-key": DEFAULT_SECRET_KEY}


def test_billing_fields_are_billing_inputs() -> None:
    catalogue = [*_fields.BILLING_FIELDS, *_fields.INTEGRATOR_BILLING_FIELDS]
    assert sorted(BillingInput.model_fields) == sorted(catalogue)
    required = {n for n, f in BillingInput.model_fields.items() if f.is_required()}
    assert required == set(_fields.BILLING_REQUIRED) - {"by_mail", "by_whatsapp"}  # defaulted


def test_customer_fields_are_customer_inputs_and_outputs() -> None:
    assert list(CustomerInput.model_fields) == list(_fields.CUSTOMER_FIELDS)
    required = {n for n, f in CustomerInput.model_fields.items() if f.is_required()}
    assert required == set(_fields.CUSTOMER_REQUIRED)
    assert set(Customer.model_fields) == set(_fields.CUSTOMER_OUTPUT_FIELDS)


def test_the_billing_to_customer_mapping_names_real_fields() -> None:
    assert set(_fields.CUSTOMER_FROM_BILLING) <= set(_fields.BILLING_FIELDS)
    assert set(_fields.CUSTOMER_FROM_BILLING.values()) <= set(_fields.CUSTOMER_FIELDS)
    assert set(_fields.ADDRESS_FIELDS) <= set(_fields.CUSTOMER_FROM_BILLING)
    for name, kind in _fields.BILLING_FIELDS.items():
        target = _fields.CUSTOMER_FROM_BILLING.get(name)
        if target is not None:
            assert kind == _fields.CUSTOMER_FIELDS[target], name


def test_every_kind_has_a_check() -> None:
    assert set(_validation.CHECKS) == set(_fields.Kind.__args__)  # type: ignore[attr-defined]


async def test_a_billings_customer_fields_reach_the_customer_read_back() -> None:
    sent = {
        "customer_integration_identifier": "cust-1",
        "customer_name": "Empresa",
        "customer_trade_name": "Fantasia",
        "customer_mail": "a@example.com",
        "customer_phone": "+5511987654321",
        "customer_secondary_phone": "+5511912345678",
        "recipients": ["b@example.com"],
        **{name: f"v-{name}" for name in _fields.ADDRESS_FIELDS},
        "address_state": "SP",
        "address_zip_code": "01405000",
    }
    assert set(sent) | {"customer_document"} == set(_fields.CUSTOMER_FROM_BILLING)
    emulator = Emulator()
    async with emulator.client() as client:
        await client.billings.upsert(billing_item(**sent))
    transport = emulator.transport()
    async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_BASE_URL) as http:
        body = (await http.get(f"/customer/{VALID_CNPJ}", headers=KEYS)).json()
    assert list(body) == list(_fields.CUSTOMER_OUTPUT_FIELDS)
    for billing_field, customer_field in _fields.CUSTOMER_FROM_BILLING.items():
        expected = VALID_CNPJ if billing_field == "customer_document" else sent[billing_field]
        assert body[customer_field] == expected, customer_field
