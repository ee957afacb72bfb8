"""ChargeOver customer models, tax ids, `where` building and the sample data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from neofin_async import InvalidItemError
from neofin_async._taxid import check_tax_id, country_code
from neofin_async.chargeover._models import Customer, CustomerChanges, CustomerInput
from neofin_async.chargeover._sample import (
    CUSTOMER_COLUMNS,
    from_neofin_row,
    sample_customers,
)
from neofin_async.chargeover._where import build_where, escape
from neofin_async.chargeover.emulator._query import parse_where, split_unescaped, unescape
from neofin_async.models._base import validate_item


def errors_of(item: dict[str, Any], model: type[CustomerChanges] = CustomerInput) -> dict[str, Any]:
    with pytest.raises(InvalidItemError) as caught:
        validate_item(model, item, 7)
    assert caught.value.index == 7
    return caught.value.errors


def test_company_is_the_only_required_field() -> None:
    assert CustomerInput.model_validate({"company": "Acme"}).to_json() == b'{"company":"Acme"}'
    assert errors_of({}) == {"company": ["required field is missing"]}
    assert errors_of({"company": "  "}) == {"company": ["must not be empty (got '  ')"]}
    assert CustomerChanges.model_validate({}).to_json() == b"{}"


def test_unknown_fields_are_refused_with_a_suggestion() -> None:
    errors = errors_of({"company": "Acme", "bill_postalcode": "55416", "superuser_mail": "a@b.co"})
    assert errors["bill_postalcode"] == ["unknown field; did you mean 'bill_postcode'?"]
    assert errors["superuser_mail"] == ["unknown field; did you mean 'superuser_email'?"]


def test_emails_deliveries_and_keys_are_checked() -> None:
    errors = errors_of(
        {
            "company": "Acme",
            "superuser_email": "not-an-address",
            "invoice_delivery": "fax",
            "external_key": " padded ",
        }
    )
    assert set(errors) == {"superuser_email", "invoice_delivery", "external_key"}
    assert errors_of({"company": "Acme", "external_key": "a\tb"}) == {
        "external_key": ["must not contain control or other unprintable characters (got 'a\\tb')"]
    }


def test_every_write_field_of_the_seed_is_accepted() -> None:
    item: dict[str, Any] = {"company": "Acme", "external_key": "k1", "tags": ["a", "b"]}
    item |= {f"custom_{n}": f"v{n}" for n in range(1, 21)}
    item |= {f"{p}_{f}": "x" for p in ("bill", "ship") for f in ("addr1", "addr2", "addr3")}
    item |= {"no_taxes": True, "no_dunning": "1", "terms_id": "3", "dunning_delivery": "print"}
    model = CustomerInput.model_validate(item)
    sent = json.loads(model.to_json())
    assert sent["custom_20"] == "v20" and sent["no_dunning"] is True and sent["terms_id"] == 3


@pytest.mark.parametrize(
    ("country", "valid", "invalid"),
    [
        ("Chile", "76.086.428-5", "76.086.428-4"),
        ("CL", "760864285", "76086428K"),
        ("México", "MAB-930714-8T4", "MAB-931314-8T4"),
        ("BRA", "51.491.769/0001-90", "51.491.769/0001-91"),
        ("Brazil", "390.533.447-05", "390.533.447-06"),
        ("Colombia", "213.123.432-1", "213.123.432-5"),
    ],
)
def test_tax_ids_are_checked_for_their_country(country: str, valid: str, invalid: str) -> None:
    CustomerInput.model_validate({"company": "A", "bill_country": country, "tax_ident": valid})
    errors = errors_of({"company": "A", "bill_country": country, "tax_ident": invalid})
    assert list(errors) == ["tax_ident"] and "is not a" in errors["tax_ident"][0]


def test_tax_ids_of_other_or_unknown_countries_pass_unchecked() -> None:
    for country in ("United States", None, "Narnia"):
        CustomerInput.model_validate({"company": "A", "bill_country": country, "tax_ident": "x"})
    assert country_code("  chile ") == "CL" and country_code("MEX") == "MX"
    check_tax_id("12-3456789", "US")


def test_output_model_is_lenient_and_keeps_unknown_fields() -> None:
    customer = Customer.model_validate(
        {
            "customer_id": "16",
            "company": "Karli Marie",
            "superuser_id": 364,
            "paid": "1145.46",
            "write_datetime": "2017-05-18 09:36:19",
            "mod_datetime": "not a date",
            "custom_3": 7,
            "url_paymethodlink": "https://dev.chargeover.com/r/paymethod/i/x",
        }
    )
    assert customer.customer_id == 16 and customer.paid == 1145.46
    assert customer.write_datetime == datetime(2017, 5, 18, 9, 36, 19)
    assert customer.mod_datetime is None
    assert customer.custom(3) == "7" and customer.custom(4) is None
    assert customer.model_extra and "url_paymethodlink" in customer.model_extra


# -- where --------------------------------------------------------------------------------


def test_where_is_built_and_escaped() -> None:
    where = build_where(
        {"external_key": "Example:ID,2", "bill_state": None, "customer_id": ("gt", 10)}
    )
    assert where == "external_key:EQUALS:Example\\:ID\\,2,bill_state:IS:NULL,customer_id:GT:10"
    assert build_where([("company", ("CONTAINS", "a,b")), ("no_taxes", True)]) == (
        "company:CONTAINS:a\\,b,no_taxes:EQUALS:1"
    )
    assert build_where(None) == "" and build_where({}) == ""
    assert escape("a:b,c") == "a\\:b\\,c"


@pytest.mark.parametrize(
    "bad", [{"Company": "x"}, {"company;drop": "x"}, {"company": ("LIKE", "x")}, {"a": (1,)}]
)
def test_where_refuses_bad_fields_and_operators(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build_where(bad)


@pytest.mark.parametrize("value", ["plain", "a:b", "a,b", ":,:,", "trailing:", "é ü"])
def test_the_emulator_reads_back_what_the_client_escapes(value: str) -> None:
    where = build_where({"external_key": value, "company": ("CONTAINS", "cme")})
    matches = parse_where(where, ["external_key", "company"])
    assert matches({"external_key": value, "company": "ACME"})
    assert not matches({"external_key": value + "x", "company": "ACME"})
    assert [unescape(p) for p in split_unescaped(escape(value) + ",x", ",")] == [value, "x"]


# -- samples ------------------------------------------------------------------------------


def test_samples_are_valid_reproducible_and_use_the_columns() -> None:
    items = list(sample_customers(300, seed=5))
    assert items == list(sample_customers(300, seed=5))
    assert len({item["external_key"] for item in items}) == 300
    countries = {item["bill_country"] for item in items}
    assert {"Chile", "Mexico", "Brazil", "Colombia", "United States"} <= countries
    for item in items:
        assert set(item) == set(CUSTOMER_COLUMNS)
        CustomerInput.model_validate(item)


def test_a_neofin_shaped_row_maps_to_a_valid_chargeover_customer() -> None:
    row = {
        "integration_identifier": "CLI-1",
        "document": "51491769000190",
        "name": "Loja Azul Ltda",
        "mail": "fin@loja.example.com",
        "address_street": "Rua A",
        "address_number": "10",
        "address_city": "Santos",
        "address_state": "SP",
        "address_zip_code": "11010-000",
        "address_complement": "",
    }
    mapped = CustomerInput.model_validate(from_neofin_row(row))
    assert (mapped.external_key, mapped.company, mapped.bill_addr1) == (
        "CLI-1",
        row["name"],
        "Rua A 10",
    )
    assert mapped.bill_country == "Brazil" and mapped.bill_addr2 is None
    with pytest.raises(ValueError, match="is not a valid CNPJ"):
        CustomerInput.model_validate(from_neofin_row(row | {"document": "51491769000191"}))
