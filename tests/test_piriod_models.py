"""Piriod models: strict inputs (tax ids by country, did-you-mean), lenient outputs (both
documented shapes of `country` and `state`), and the sample data."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cl import rut
from stdnum.mx import rfc

import neofin_async as nf
from neofin_async.models import validate_item
from neofin_async.piriod import (
    CUSTOMER_COLUMNS,
    Customer,
    CustomerInput,
    CustomerUpdate,
    flat,
    sample_customers,
)

RUT = "76.086.428-5"
RFC = "GODE561231GR8"


def errors_of(item: dict[str, Any], model: type[Any] = CustomerInput) -> dict[str, list[str]]:
    with pytest.raises(nf.InvalidItemError) as caught:
        validate_item(model, item, 7)
    assert "item 7" in str(caught.value)
    return caught.value.errors


def test_a_valid_chilean_customer_is_sent_as_given() -> None:
    item = validate_item(
        CustomerInput,
        {
            "name": "ACME SpA",
            "country": "cl",
            "tax_id": " 76.086.428-k ".replace("k", "5"),
            "state": "clrm",
            "currency": "clp",
            "email": "pagos@acme.example.com",
            "tax_settings": {"cl_activity_description": "Comercio"},
            "metadata": {"erp": "A-1", "tier": 2},
        },
        0,
    )
    assert item.to_json() == (
        b'{"country":"CL","name":"ACME SpA","tax_id":"76.086.428-5",'
        b'"email":"pagos@acme.example.com","state":"CLRM","currency":"CLP",'
        b'"tax_settings":{"cl_activity_description":"Comercio"},"metadata":{"erp":"A-1","tier":2}}'
    )


@pytest.mark.parametrize(
    ("country", "tax_id", "message"),
    [
        ("CL", "76.086.428-4", "'76.086.428-4' is not a Chilean RUT (the number's checksum"),
        ("CL", "1", "'1' is not a Chilean RUT (the number has an invalid length)"),
        ("MX", "GODE561331GR8", "is not a Mexican RFC (one of the parts of the number"),
        ("BR", "529.982.247-24", "is not a valid CPF (check digits do not match)"),
        ("BR", "51.491.769/0001-91", "is not a valid CNPJ"),
        ("CO", "213.123.432-2", "is not a Colombian NIT (the number's checksum"),
    ],
)
def test_tax_ids_are_checked_by_the_items_country(country: str, tax_id: str, message: str) -> None:
    errors = errors_of({"name": "X", "country": country, "tax_id": tax_id})
    assert list(errors) == ["tax_id"]
    assert message in errors["tax_id"][0]


@pytest.mark.parametrize(
    ("country", "tax_id"),
    [
        ("CL", "76086428-5"),
        ("MX", "XAXX010101000"),  # SAT's generic RFC: no valid check digit, still valid
        ("MX", "ABC680524P76"),
        ("BR", "52998224725"),
        ("CO", "213.123.432-1"),
        ("US", "897-56-9831"),  # no check for countries without tax regulation
        (None, "anything"),
    ],
)
def test_valid_and_unchecked_tax_ids_pass(country: str | None, tax_id: str) -> None:
    item = validate_item(CustomerInput, {"name": "X", "country": country, "tax_id": tax_id}, 0)
    assert item.tax_id == tax_id


def test_required_fields_emails_and_misspellings_are_refused_by_field() -> None:
    errors = errors_of({"nmae": "ACME", "email": "not-an-email", "website": "acme.cl"})
    assert errors["name"] == ["required field is missing"]
    assert errors["nmae"] == ["unknown field; did you mean 'name'?"]
    assert "is not an e-mail address" in errors["email"][0]
    assert "is not a website URL" in errors["website"][0]
    assert list(errors_of({"name": "   "})) == ["name"]
    assert "at most 100" in errors_of({"name": "x" * 101})["name"][0]


def test_codes_and_lengths() -> None:
    errors = errors_of(
        {"name": "X", "country": "CHL", "currency": "PESO", "state": "TOO-LONG", "phone": "1" * 17}
    )
    assert set(errors) == {"country", "currency", "state", "phone"}
    assert validate_item(CustomerInput, {"name": "X", "state": "123"}, 0).state == 123
    assert "state" in errors_of({"name": "X", "state": True})


def test_tax_settings_are_checked_per_country_with_hints() -> None:
    misspelt = errors_of({"name": "X", "country": "MX", "tax_settings": {"mx_tax_schem": "601"}})
    assert misspelt == {
        "tax_settings.mx_tax_schem": ["unknown field; did you mean 'mx_tax_scheme'?"]
    }
    wrong_country = errors_of(
        {"name": "X", "country": "MX", "tax_settings": {"br_city_code": "1100122"}}
    )
    assert wrong_country == {"tax_settings": ["has fields for BR but the customer's country is MX"]}
    bad_codes = errors_of(
        {
            "name": "X",
            "country": "BR",
            "tax_settings": {"br_city_code": "11001", "br_tax_regime": "Lucro"},
        }
    )
    assert set(bad_codes) == {"tax_settings.br_city_code", "tax_settings.br_tax_regime"}
    scheme = errors_of({"name": "X", "tax_settings": {"mx_tax_scheme": "999"}})
    assert "not a SAT tax regime" in scheme["tax_settings.mx_tax_scheme"][0]
    ok = validate_item(
        CustomerInput,
        {"name": "X", "country": "MX", "tax_id": RFC, "tax_settings": {"mx_tax_scheme": 612}},
        0,
    )
    assert ok.tax_settings is not None and ok.tax_settings.mx_tax_scheme == "612"


def test_dotted_keys_of_a_flat_record_fill_nested_fields() -> None:
    record = {
        "name": "X",
        "country": "CL",
        "tax_settings.cl_activity_description": "Giro",
        "metadata.segment": "retail",
        "metadata.empty": "",
    }
    item = validate_item(CustomerInput, record, 0)
    assert item.tax_settings is not None
    assert item.tax_settings.cl_activity_description == "Giro"
    assert item.metadata == {"segment": "retail"}
    assert errors_of({"name": "X", "tax_settings.nope": "1"}) == {
        "tax_settings.nope": ["unknown field"]
    }


def test_an_update_needs_no_field_but_checks_those_given() -> None:
    assert validate_item(CustomerUpdate, {}, 0).to_json() == b"{}"
    assert validate_item(CustomerUpdate, {"email": "a@b.example.com"}, 0).name is None
    errors = errors_of({"country": "CL", "tax_id": "76.086.428-4"}, CustomerUpdate)
    assert list(errors) == ["tax_id"]


def test_both_documented_shapes_of_country_and_state_are_read() -> None:
    seed = Customer.model_validate(
        {
            "id": "cus_dl6PTxQnTYy5BHYskV",
            "country": {
                "id": "US",
                "name": "Estados Unidos",
                "name_en": "United states",
                "phone_code": "+1",
                "has_regulation": False,
                "tax_percent": 10,
            },
            "state": {"id": "USAZ", "code": "AZ", "name": "Arizona"},
            "aggregations": {"sales": 3757.00, "sales_current_period": 457.00, "balance": 457.0},
            "created": "2020-10-15T13:26:15.356289-03:00",
        }
    )
    assert seed.country_id == "US" and seed.country is not None
    assert seed.country.dialling_code == "+1" and seed.country.tax_percent == 10
    assert seed.state is not None and (seed.state.id, seed.state.code) == ("USAZ", "AZ")
    assert seed.aggregations is not None and seed.aggregations.sales == 3757
    assert seed.created is not None and seed.created.utcoffset() is not None
    reference = Customer.model_validate(
        {
            "country": {
                "id": "CL",
                "name": "Chile",
                "code": "+56",
                "has_regulation": True,
                "currencies": ["CLP"],
            },
            "state": {"id": 123, "name": "Metropolitana", "country": "CL"},
            "status": "active",
            "test_mode": True,
        }
    )
    assert reference.country is not None and reference.country.dialling_code == "+56"
    assert reference.country.currencies == ["CLP"]
    assert reference.state is not None and (reference.state.id, reference.state.country) == (
        123,
        "CL",
    )
    bare = Customer.model_validate({"country": "MX", "state": "MXJAL"})
    assert bare.country_id == "MX" and bare.state is not None and bare.state.id == "MXJAL"


def test_outputs_are_lenient() -> None:
    odd = Customer.model_validate(
        {
            "country": ["?"],
            "state": 3.5,
            "contacts": ["con_1", 7, {"id": "con_2", "email": "a@b.example.com"}],
            "sources": None,
            "metadata": None,
            "aggregations": "n/a",
            "tax_settings": "raw",
            "created": "",
            "brand_new_field": 1,
        }
    )
    assert odd.country is None and odd.state is None
    assert [c.id for c in odd.contacts] == ["con_1", "con_2"]
    assert odd.sources == [] and odd.metadata == {} and odd.aggregations is None
    assert odd.tax_settings == "raw" and odd.created is None
    assert odd.model_extra == {"brand_new_field": 1}


def test_sample_customers_are_valid_and_reproducible() -> None:
    records = list(sample_customers(400, seed=5))
    assert records == list(sample_customers(400, seed=5))
    assert len({r["reference"] for r in records}) == 400
    countries = {r["country"] for r in records}
    assert countries == {"CL", "MX"}
    for index, record in enumerate(records):
        validate_item(CustomerInput, record, index)
        validate_item(CustomerInput, flat(record), index)
        assert set(flat(record)) <= set(CUSTOMER_COLUMNS)
        if record["country"] == "CL":
            assert rut.is_valid(record["tax_id"])
        else:
            assert rfc.is_valid(record["tax_id"], validate_check_digits=True)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(sorted(Customer.model_fields))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(FIELDS, JSON, max_size=12))
def test_no_answer_makes_the_output_model_fail(raw: dict[str, Any]) -> None:
    customer = Customer.model_validate(raw)
    assert customer.country is None or isinstance(customer.country.currencies, list)
    assert isinstance(customer.metadata, dict) and isinstance(customer.contacts, list)
