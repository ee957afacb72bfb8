"""Models: strict inputs validated before sending, lenient outputs that keep unknown fields."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from conftest import VALID_CNPJ, VALID_CPF, billing_item, cpf_check_digits, customer_item
from hypothesis import given
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

import neofin_async as nf
from neofin_async._constants import (
    MAX_CENTAVOS,
    MAX_FIELD_DEPTH,
    MAX_INSTALLMENTS,
    MAX_JSON_DEPTH,
    MAX_TEXT_LENGTH,
    MAX_TIMESTAMP,
)
from neofin_async.models import encode_batch, resolve_extra_fields, validate_item
from neofin_async.models._types import shown

UTC = timezone.utc


def billing(**overrides: Any) -> nf.BillingInput:
    return nf.BillingInput.model_validate(billing_item(**overrides))


def invalid(
    model: type[nf.BillingInput | nf.CustomerInput], item: dict[str, Any]
) -> nf.InvalidItemError:
    with pytest.raises(nf.InvalidItemError) as info:
        validate_item(model, item, 3)
    return info.value


def billing_errors(**overrides: Any) -> dict[str, list[str]]:
    return invalid(nf.BillingInput, billing_item(**overrides)).errors


# -- BillingInput ----------------------------------------------------------------------------


INTEGRATOR_FIELDS = {"issued_at", "payee_name", "payee_document", "installments_data", "origin"}


def test_billing_input_has_the_38_documented_fields_and_5_integrators_send() -> None:
    assert len(nf.BillingInput.model_fields) == 38 + len(INTEGRATOR_FIELDS)
    assert set(nf.BillingInput.model_fields) >= INTEGRATOR_FIELDS
    required = {name for name, f in nf.BillingInput.model_fields.items() if f.is_required()}
    assert required == {
        "integration_identifier",
        "customer_document",
        "amount",
        "due_date",
        "installment_type",
        "installments",
        "type",
    }


def test_minimal_billing_json() -> None:
    sent = json.loads(billing().to_json())
    assert sent == {
        "integration_identifier": "order-1",
        "customer_document": VALID_CNPJ,
        "amount": 15000,
        "due_date": 1678316400,
        "installment_type": "monthly",
        "installments": 1,
        "type": "bolepix",
        "by_mail": False,
        "by_whatsapp": True,
    }


def test_by_mail_and_by_whatsapp_can_be_set() -> None:
    sent = json.loads(billing(by_mail=True, by_whatsapp=False).to_json())
    assert (sent["by_mail"], sent["by_whatsapp"]) == (True, False)


def test_enums_accept_strings_and_members() -> None:
    item = billing(type=nf.BillingType.PIX, installment_type="custom")
    assert item.type is nf.BillingType.PIX
    assert item.installment_type is nf.InstallmentType.CUSTOM
    assert [t.value for t in nf.BillingType] == ["generic", "bolepix", "boleto", "pix"]
    assert [t.value for t in nf.InstallmentType] == ["weekly", "biweekly", "monthly", "custom"]
    assert "type" in billing_errors(type="cash")
    assert "installment_type" in billing_errors(installment_type="yearly")


def test_full_billing_round_trip() -> None:
    item = billing(
        customer_integration_identifier="c-1",
        customer_name="Empresa teste LTDA",
        customer_trade_name="Teste",
        customer_mail="financeiro@example.com.br",
        customer_phone="(11) 98765-4321",
        customer_secondary_phone="+55 11 3333-4444",
        address_city="São Paulo",
        address_complement="CJ 4",
        address_neighborhood="Jardim Paulista",
        address_number="365",
        address_state="sp",
        address_street="Avenida Paulista",
        address_zip_code="01405-000",
        original_due_date=date(2025, 1, 1),
        discount_before_payment=500,
        discount_before_payment_due_date=1678316400,
        description="Parcela 1/2",
        fees=0.0333,
        fine=2,
        nfe_number="000021",
        recipients=["a@example.com", "b@example.com"],
        boleto={"bank": "341"},
        boleto_pdf="https://example.com/b.pdf",
        boleto_base64="",
        nf_url="https://example.com/nf.pdf",
        rps="https://example.com/rps.pdf",
        code="34191.79001",
        hash="00020126",
        ignore_existing_customer_upsert=True,
    )
    sent = json.loads(item.to_json())
    assert len(sent) == 38
    assert sent["customer_phone"] == "+5511987654321"
    assert sent["customer_secondary_phone"] == "+551133334444"
    assert sent["address_state"] == "SP"
    assert sent["address_zip_code"] == "01405000"
    assert sent["original_due_date"] == 1735700400
    assert sent["fees"] == 0.0333 and sent["fine"] == 2
    assert sent["boleto_base64"] == ""
    assert nf.BillingInput.model_validate(sent) == item


def test_models_are_accepted_as_dicts_with_whitespace_kept() -> None:
    assert billing(description="  x  ").description == "  x  "


# -- documents -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("529.982.247-25", VALID_CPF),
        (VALID_CPF, VALID_CPF),
        ("51.491.769/0001-90", VALID_CNPJ),
        (" 51 491 769 0001 90 ", VALID_CNPJ),
        ("12.ABC.345/01DE-35", "12ABC34501DE35"),
        ("12abc34501de35", "12ABC34501DE35"),
    ],
)
def test_valid_documents(document: str, expected: str) -> None:
    assert billing(customer_document=document).customer_document == expected
    assert nf.CustomerInput(document=document).document == expected


@pytest.mark.parametrize(
    ("document", "hint"),
    [
        ("529.982.247-26", "CPF"),
        ("51.491.769/0001-91", "CNPJ"),
        ("12.ABC.345/01DE-36", "CNPJ"),
        ("1234567", "11 digits"),
        ("", "11 digits"),
    ],
)
def test_invalid_documents(document: str, hint: str) -> None:
    errors = billing_errors(customer_document=document)
    assert hint in errors["customer_document"][0]


def test_document_as_integer_refused() -> None:
    assert "string" in billing_errors(customer_document=52998224725)["customer_document"][0]


# One digit nine times makes a repeated-digit CPF (refused; tests/test_documents.py).
cpf_bases = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)


@given(cpf_bases)
def test_generated_cpfs_are_valid_with_and_without_punctuation(base: str) -> None:
    cpf = base + cpf_check_digits(base)
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    assert nf.CustomerInput(document=cpf).document == cpf
    assert nf.CustomerInput(document=formatted).document == cpf


@given(cpf_bases, st.integers(1, 9))
def test_generated_cpfs_with_a_wrong_check_digit_are_refused(base: str, shift: int) -> None:
    cpf = base + cpf_check_digits(base)
    wrong = cpf[:10] + str((int(cpf[10]) + shift) % 10)
    with pytest.raises(pydantic.ValidationError, match="CPF"):
        nf.CustomerInput(document=wrong)


# -- address, phone, e-mail --------------------------------------------------------------------


@pytest.mark.parametrize("state", ["SP", "sp", " rj ", "DF", "TO"])
def test_uf(state: str) -> None:
    assert billing(address_state=state).address_state == state.strip().upper()


@pytest.mark.parametrize("state", ["XX", "São Paulo", "S P"])
def test_bad_uf(state: str) -> None:
    assert "UF" in billing_errors(address_state=state)["address_state"][0]


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.sampled_from(["-", "", "."]))
def test_cep_normalisation(digits: str, separator: str) -> None:
    text = f"{digits[:5]}{separator}{digits[5:]}"
    assert nf.CustomerInput(document=VALID_CPF, address_zip_code=text).address_zip_code == digits
    dotted = f"{digits[:2]}.{digits[2:5]}-{digits[5:]}"
    assert nf.CustomerInput(document=VALID_CPF, address_zip_code=dotted).address_zip_code == digits


@pytest.mark.parametrize("cep", ["1405-000", "01405-0000", "ABCDE-FGH", "01405 000"])
def test_bad_cep(cep: str) -> None:
    assert "CEP" in billing_errors(address_zip_code=cep)["address_zip_code"][0]


ddd = st.integers(1, 9).flatmap(lambda a: st.integers(1, 9).map(lambda b: f"{a}{b}"))
subscriber = st.one_of(
    st.text(alphabet="0123456789", min_size=8, max_size=8).map(lambda s: "9" + s),
    st.text(alphabet="0123456789", min_size=7, max_size=7).map(lambda s: "3" + s),
)


def _formats(area: str, number: str) -> list[str]:
    head, tail = number[:-4], number[-4:]
    return [
        area + number,
        f"({area}) {head}-{tail}",
        f"{area} {head} {tail}",
        f"0{area}{number}",
        f"+55{area}{number}",
        f"+55 ({area}) {head}-{tail}",
        f"55{area}{number}",
        f"0055 {area} {number}",
        f"{area}.{head}.{tail}",
    ]


@given(ddd, subscriber)
def test_brazilian_phones_normalise_to_e164(area: str, number: str) -> None:
    expected = f"+55{area}{number}"
    for text in _formats(area, number):
        phone = nf.CustomerInput(document=VALID_CPF, phone=text).phone
        assert phone == expected, text
        assert nf.CustomerInput(document=VALID_CPF, phone=phone).phone == phone


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("+1 (415) 555-2671", "+14155552671"), ("+44 20 7946 0958", "+442079460958")],
)
def test_foreign_phones_kept(phone: str, expected: str) -> None:
    assert billing(customer_phone=phone).customer_phone == expected


@pytest.mark.parametrize("phone", ["abc", "+55 11 1234", "+55 11 987654321000", "123", "+1 234"])
def test_bad_phones(phone: str) -> None:
    assert "phone" in billing_errors(customer_phone=phone)["customer_phone"][0]


def test_emails() -> None:
    item = billing(customer_mail=" a.b+c@example.com.br ", recipients=["x@example.com"])
    assert item.customer_mail == "a.b+c@example.com.br"
    assert item.recipients == ["x@example.com"]
    assert "e-mail" in billing_errors(customer_mail="a@b")["customer_mail"][0]
    assert "e-mail" in billing_errors(recipients=["ok@example.com", "nope"])["recipients.1"][0]


# -- money and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [100.12, 100.0, Decimal("100.12"), Decimal("100")])
def test_amount_must_be_integer_centavos(amount: Any) -> None:
    (message,) = billing_errors(amount=amount)["amount"]
    assert "centavos" in message and "neofin_async.centavos()" in message


@pytest.mark.parametrize("amount", [0, -1, True, None, "1.5"])
def test_amount_must_be_positive_integer(amount: Any) -> None:
    assert "amount" in billing_errors(amount=amount)


def test_amount_as_digit_string() -> None:
    assert billing(amount="10012").amount == 10012


@pytest.mark.parametrize(
    ("reais", "cents"),
    [(Decimal("100.12"), 10012), (Decimal("0.01"), 1), (100, 10000), ("1.5", 150)],
)
def test_centavos_helper(reais: Any, cents: int) -> None:
    assert nf.centavos(reais) == cents


@pytest.mark.parametrize(
    ("reais", "hint"),
    [
        (Decimal("1.005"), "fractions of a centavo"),
        ("abc", "not an amount"),
        (Decimal("NaN"), "not an amount"),
        (Decimal("Infinity"), "not an amount"),
    ],
)
def test_centavos_helper_refuses(reais: Any, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        nf.centavos(reais)


@pytest.mark.parametrize(
    ("due_date", "unix"),
    [
        (1678316400, 1678316400),
        ("1678316400", 1678316400),
        (1678316400.0, 1678316400),
        (date(2025, 1, 1), 1735700400),  # midnight in São Paulo (UTC-3)
        (date(2018, 12, 1), 1543629600),  # midnight during the old daylight saving (UTC-2)
        ("2025-01-01", 1735700400),
        (datetime(2025, 1, 1, tzinfo=UTC), 1735689600),
        (datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=-3))), 1735700400),
        ("2025-01-01T00:00:00+00:00", 1735689600),
    ],
)
def test_due_date(due_date: Any, unix: int) -> None:
    assert billing(due_date=due_date).due_date == unix
    assert billing(due_date=1, original_due_date=due_date).original_due_date == unix


@pytest.mark.parametrize(
    ("due_date", "hint"),
    [
        (datetime(2025, 1, 1), "timezone"),
        ("2025-01-01T10:00:00", "timezone"),
        ("next monday", "ISO"),
        (1.5, "integer"),
        (-1, "greater than or equal"),
        (True, "Unix timestamp"),
    ],
)
def test_bad_due_date(due_date: Any, hint: str) -> None:
    assert hint in billing_errors(due_date=due_date)["due_date"][0]


# -- item errors -----------------------------------------------------------------------------


def test_misspelled_field_is_refused_with_a_hint() -> None:
    item = billing_item(custmer_document="x")
    error = invalid(nf.BillingInput, item)
    assert error.errors == {
        "custmer_document": ["unknown field; did you mean 'customer_document'?"]
    }
    assert "custmer_document" in str(error) and "did you mean 'customer_document'" in str(error)


def test_unknown_field_without_close_match() -> None:
    errors = billing_errors(zzz=1)
    assert errors == {"zzz": ["unknown field"]}


def test_invalid_item_error_names_index_identifier_and_fields() -> None:
    item = billing_item(integration_identifier="order-9", amount=0)
    del item["type"]
    error = invalid(nf.BillingInput, item)
    assert isinstance(error, ValueError) and isinstance(error, nf.NeofinError)
    assert error.index == 3 and error.integration_identifier == "order-9"
    assert set(error.errors) == {"amount", "type"}
    assert error.errors["type"] == ["required field is missing"]
    text = str(error)
    assert text.startswith("item 3 ('order-9') is invalid:")
    assert "amount:" in text and "type: required field is missing" in text


def test_invalid_item_without_identifier() -> None:
    error = invalid(nf.BillingInput, {"amount": 1})
    assert error.integration_identifier is None
    assert str(error).startswith("item 3 is invalid:")


def test_blank_integration_identifier_refused() -> None:
    assert "integration_identifier" in billing_errors(integration_identifier="  ")


def test_validate_item_passes_models_through() -> None:
    item = billing()
    assert validate_item(nf.BillingInput, item, 0) is item


# -- CustomerInput ---------------------------------------------------------------------------


def test_customer_input() -> None:
    item = nf.CustomerInput.model_validate(
        customer_item(
            name="Fulano",
            mail="f@example.com",
            phone="(33) 3333-3333",
            address_state="mg",
            address_zip_code="01405-001",
            address_complement=None,
            recipients=[],
            pause_notifications=False,
        )
    )
    assert json.loads(item.to_json()) == {
        "document": VALID_CPF,
        "integration_identifier": "cust-1",
        "name": "Fulano",
        "mail": "f@example.com",
        "phone": "+553333333333",
        "address_state": "MG",
        "address_zip_code": "01405001",
        "recipients": [],
        "pause_notifications": False,
    }


def test_customer_input_errors() -> None:
    error = invalid(nf.CustomerInput, customer_item(document="123", nmae="x"))
    assert error.errors["document"] == [
        "must be a CPF (11 digits) or a CNPJ (14 characters) (got '123')"
    ]
    assert error.errors["nmae"] == ["unknown field; did you mean 'name'?"]
    assert error.integration_identifier == "cust-1"


# -- outputs -----------------------------------------------------------------------------------

WORKED_EXAMPLE = (
    '{"customer_mail":"teste@neofin.com.br","fine":"","status":"pending","installments":1.0,'
    '"nfe_number":"000000021","customer_phone":"+5533999751491","fees":"","by_mail":true,'
    '"installment_type":"custom","billing_number":"122087378560242",'
    '"created_by_name":"Integração API","customer_document":"24540707078",'
    '"discount_before_payment":"0","integration_identifier":"Neofin-00000002241",'
    '"due_date":1703114722.0,"updated_at":1703084752.0,"by_whatsapp":false,'
    '"issued_at":1703084752.0,"amount":20000.0,"description":"Cobrança 000000021 Parcela 1 TESTE",'
    '"billing_url":"https://sandbox.neofin.com.br/pay?billing=122087378560242",'
    '"discount_before_payment_due_date":0.0,"customer_name":"Empresa teste LTDA","type":"generic"}'
)


def test_worked_billing_example() -> None:
    b = nf.Billing.model_validate_json(WORKED_EXAMPLE)
    assert b.integration_identifier == "Neofin-00000002241"
    assert b.billing_number == "122087378560242"
    assert b.status == "pending"
    assert b.amount == 20000 and isinstance(b.amount, int)
    assert b.installments == 1 and isinstance(b.installments, int)
    assert b.fine is None and b.fees is None
    assert b.discount_before_payment == 0
    assert b.discount_before_payment_due_date == 0
    assert b.due_date == datetime.fromtimestamp(1703114722, UTC)
    assert b.issued_at == b.updated_at == datetime.fromtimestamp(1703084752, UTC)
    assert b.due_date is not None and b.due_date.tzinfo is not None
    assert b.nfe_number == "000000021"
    assert (b.by_mail, b.by_whatsapp) == (True, False)
    assert b.type == "generic" and b.installment_type == "custom"
    assert b.payments == []
    assert b.billing_url is not None and b.billing_url.endswith("122087378560242")


def test_billing_with_payments_and_string_numbers() -> None:
    b = nf.Billing.model_validate(
        {
            "amount": "50000",
            "fine": "50000",
            "discount_before_payment": "5",
            "installments": "2",
            "fees": "0.0333",
            "due_date": "1667234445.0",
            "billing_number": 38078456634432,
            "payments": [
                {
                    "installment": "1/2",
                    "payment_number": "38078456634432-1",
                    "payment_status": "paid",
                },
                {"installment": 2, "payment_number": "38078456634432-2"},
            ],
        }
    )
    assert (b.amount, b.fine, b.discount_before_payment, b.installments) == (50000, 50000, 5, 2)
    assert b.fees == 0.0333
    assert b.due_date == datetime.fromtimestamp(1667234445, UTC)
    assert b.billing_number == "38078456634432"
    assert [p.payment_number for p in b.payments] == ["38078456634432-1", "38078456634432-2"]
    assert b.payments[0].payment_status == "paid" and b.payments[1].installment == "2"


def test_billing_null_payments_and_unknown_fields_kept() -> None:
    b = nf.Billing.model_validate({"payments": None, "pix": {"qr_code": "x"}, "origin": "api"})
    assert b.payments == []
    assert b.model_extra == {"pix": {"qr_code": "x"}}
    assert b.origin == "api"
    assert b.model_dump()["pix"] == {"qr_code": "x"}


def test_billing_list_item_of_status_listing() -> None:
    item = {
        "customer_mail": "a@example.com",
        "fine": 2,
        "digest": "abc",
        "status": "overdue",
        "installments": 1,
        "nfe_number": "1",
        "customer_phone": "+5511987654321",
        "fees": 0.0333,
        "installment_type": "weekly",
        "billing_number": "122087378560242",
        "created_by_name": "Integração API",
        "customer_document": "24540707078",
        "origin": "integration",
        "discount_before_payment": 0,
        "integration_identifier": "ii-1",
        "customer_id": "7b0f",
        "due_date": 1703114722,
        "updated_at": 1703084752,
        "issued_at": 1703084752,
        "amount": 15000,
        "description": "d",
        "billing_url": "https://app.neofin.com.br/pay?billing=122087378560242",
        "discount_before_payment_due_date": 0,
        "customer_name": "Fulano",
        "type": "bolepix",
    }
    b = nf.Billing.model_validate(item)
    assert b.origin == "integration" and b.customer_id == "7b0f"
    assert (b.fine, b.fees, b.amount) == (2, 0.0333, 15000)
    assert b.model_extra == {}


def test_timestamps_from_iso_text() -> None:
    b = nf.Billing.model_validate(
        {"due_date": "2025-01-01T00:00:00Z", "issued_at": "", "updated_at": None}
    )
    assert b.due_date == datetime(2025, 1, 1, tzinfo=UTC)
    assert b.issued_at is None and b.updated_at is None


def test_billing_event() -> None:
    event = nf.BillingEvent.model_validate(
        {
            "event_type": "payment",
            "event_status": "success",
            "event_time": 1703084752,
            "event_description": "Pago",
            "by": "system",
            "event_category": "billing",
            "billing_number": 122087378560242,
            "new_field": True,
        }
    )
    assert event.event_time == datetime.fromtimestamp(1703084752, UTC)
    assert event.billing_number == "122087378560242"
    assert event.model_extra == {"new_field": True}


PAID_INSTALLMENT = {
    "discount_before_payment": 0.0,
    "fine": 0,
    "original_amount": 15000.0,
    "boleto_pdf": "https://example.com/b.pdf",
    "nfe_number": "21",
    "customer_phone": "+5511987654321",
    "nf_url": "",
    "renegotiation_in_progress": False,
    "paid_amount": "15000",
    "installment_order": "1",
    "customer_document": "24540707078",
    "paid_at": "2025-01-18",
    "installment_number": "122087378560242-1",
    "integration_identifier": 123456,
    "customer_id": "c-1",
}
NESTED_BILLING = {
    "fine": "",
    "digest": "d",
    "status": "paid",
    "nfe_number": "21",
    "customer_phone": "+5511987654321",
    "fees": "",
    "billing_number": "122087378560242",
    "created_by_name": "Integração API",
    "customer_document": "24540707078",
    "discount_before_payment": "0",
    "integration_identifier": "ii-1",
    "issued_at": 1703084752.0,
    "amount": 15000.0,
    "description": "d",
    "discount_before_payment_due_date": 0,
    "customer_name": "Fulano",
}


@pytest.mark.parametrize("key", ["billing", "biling"])
def test_paid_installment(key: str) -> None:
    inst = nf.Installment.model_validate({**PAID_INSTALLMENT, key: NESTED_BILLING})
    assert inst.integration_identifier == "123456"
    assert inst.paid_amount == 15000 and inst.original_amount == 15000
    assert inst.paid_at is not None and inst.paid_at.date() == date(2025, 1, 18)
    assert inst.paid_at.utcoffset() == timedelta(hours=-3)
    assert inst.installment_number == "122087378560242-1"
    assert inst.renegotiation_in_progress is False
    assert inst.billing is not None
    assert inst.billing.billing_number == "122087378560242"
    assert inst.billing.amount == 15000 and inst.billing.fine is None
    assert inst.billing.issued_at == datetime.fromtimestamp(1703084752, UTC)
    assert "biling" not in (inst.model_extra or {})


def test_customer() -> None:
    customer = nf.Customer.model_validate(
        {
            "id": "0d7c8f4e-8c1b-4a4f-9b1a-7b0f2b1c3d4e",
            "document": "75730786000100",
            "name": "Empresa",
            "mail": "a@example.com",
            "phone": "(33) 3333-3333",
            "secondary_phone": "",
            "address_street": "Avenida Paulista",
            "address_number": 356,
            "address_complement": "Second Floor",
            "address_neighborhood": "Bela Vista",
            "address_city": "São Paulo",
            "address_state": "SP",
            "address_zip_code": None,
            "recipients": [],
            "pause_notifications": False,
            "situation": "regular",
            "block_neofin_charge_creation": True,
        }
    )
    assert customer.document == "75730786000100"
    assert customer.address_number == "356"
    assert customer.address_zip_code is None
    assert customer.situation == "regular"
    assert customer.model_extra == {"block_neofin_charge_creation": True}
    assert nf.Customer.model_validate({}) == nf.Customer()


def test_message_and_queued_responses() -> None:
    queued = nf.QueuedResponse.model_validate(
        {"message": "Billings successfully queued.", "errors": {}, "metadata": {"n": 1}}
    )
    assert queued.message == "Billings successfully queued." and queued.errors == {}
    assert queued.metadata == {"n": 1}
    lenient = nf.QueuedResponse.model_validate({"errors": {"amount[0]": "Bad.", "x": ["A", 1]}})
    assert lenient.errors == {"amount[0]": ["Bad."], "x": ["A", "1"]}
    assert nf.MessageResponse.model_validate({"errors": None}).errors == {}
    assert nf.MessageResponse.model_validate({"errors": "oops"}).errors == {"": ["oops"]}


def test_attachments_response() -> None:
    response = nf.AttachmentsResponse.model_validate(
        {
            "message": "Attachment(s) processed.",
            "files_uploaded": ["teste.pdf", "teste2.pdf"],
            "files_failed": [],
        }
    )
    assert response.files_uploaded == ["teste.pdf", "teste2.pdf"]
    assert response.files_failed == []


def test_document_check_agrees_with_python_stdnum_and_refuses_non_ascii_digits() -> None:
    from stdnum.br import cnpj, cpf

    from neofin_async._brazil import normalize_document

    for document in ("24540707078", "51491769000190", "12ABC34501DE35"):
        assert normalize_document(document) == document
        assert (cpf if len(document) == 11 else cnpj).is_valid(document)
    with pytest.raises(ValueError, match="not a valid CPF"):
        normalize_document("".join(chr(0xFF10 + int(d)) for d in "24540707078"))  # fullwidth


# -- bounds shared with the emulators (issue 10) -------------------------------------------------


def test_amount_bound() -> None:
    assert billing(amount=MAX_CENTAVOS).amount == MAX_CENTAVOS
    for amount in (MAX_CENTAVOS + 1, 10**400, "9" * 400):
        (message,) = billing_errors(amount=amount)["amount"]
        assert "less than or equal to 9007199254740991" in message


def test_installments_bound() -> None:
    assert billing(installments=MAX_INSTALLMENTS).installments == MAX_INSTALLMENTS
    for installments in (MAX_INSTALLMENTS + 1, 500_000, "500000"):
        assert (
            "less than or equal to 999"
            in billing_errors(installments=installments)["installments"][0]
        )
    assert "greater than or equal to 1" in billing_errors(installments=0)["installments"][0]


TIMESTAMP_FIELDS = [
    "due_date",
    "original_due_date",
    "discount_before_payment_due_date",
    "issued_at",
]


@pytest.mark.parametrize("field", TIMESTAMP_FIELDS)
def test_every_timestamp_field_is_bounded(field: str) -> None:
    assert getattr(billing(**{field: MAX_TIMESTAMP}), field) == MAX_TIMESTAMP
    latest = datetime.fromtimestamp(MAX_TIMESTAMP, UTC)
    assert latest == datetime(9000, 1, 1, tzinfo=UTC)
    for late in (MAX_TIMESTAMP + 1, datetime(9999, 12, 31, tzinfo=UTC), "9999-12-31", 10**30):
        (message,) = billing_errors(**{field: late})[field]
        assert "less than or equal to 221845392000" in message


@pytest.mark.parametrize("field", ["fees", "fine", "discount_before_payment"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(field: str, value: float) -> None:
    error = invalid(nf.BillingInput, billing_item(**{field: value}))
    assert error.index == 3 and error.integration_identifier == "order-1"
    assert error.errors == {field: [f"must be a finite number (no NaN or infinity) (got {value})"]}


@pytest.mark.parametrize("field", ["fees", "fine", "discount_before_payment"])
def test_fees_fines_and_discounts_are_bounded_and_keep_their_type(field: str) -> None:
    assert getattr(billing(**{field: 2}), field) == 2
    assert isinstance(getattr(billing(**{field: 2}), field), int)
    assert getattr(billing(**{field: 0.0333}), field) == 0.0333
    assert getattr(billing(**{field: "2.5"}), field) == 2.5
    assert getattr(billing(**{field: MAX_CENTAVOS}), field) == MAX_CENTAVOS
    for value in (10**400, 1e300, -1, -0.5, MAX_CENTAVOS + 1):
        message = f"must be from 0 to {MAX_CENTAVOS} (got {shown(value)})"
        assert billing_errors(**{field: value}) == {field: [message]}
    for value in (True, "abc", [1]):
        assert "number" in billing_errors(**{field: value})[field][0]


FREE_TEXT_FIELDS = [
    "integration_identifier",
    "customer_integration_identifier",
    "customer_name",
    "customer_trade_name",
    "address_city",
    "address_complement",
    "address_neighborhood",
    "address_number",
    "address_street",
    "description",
    "nfe_number",
    "boleto_pdf",
    "nf_url",
    "rps",
    "code",
    "hash",
    "payee_name",
    "origin",
]


def is_text(field: FieldInfo) -> bool:
    """`str`, `Annotated[str, ...]` or either `| None`."""
    annotation = field.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation is str


def test_every_text_field_is_bounded_or_a_checked_format() -> None:
    checked = {"customer_document", "payee_document", "customer_mail", "customer_phone"}
    checked |= {"customer_secondary_phone", "address_state", "address_zip_code", "boleto_base64"}
    text = {name for name, field in nf.BillingInput.model_fields.items() if is_text(field)}
    assert text == set(FREE_TEXT_FIELDS) | checked


@pytest.mark.parametrize("field", FREE_TEXT_FIELDS)
def test_free_text_is_bounded(field: str) -> None:
    longest = "x" * MAX_TEXT_LENGTH
    assert getattr(billing(**{field: longest}), field) == longest
    (message,) = billing_errors(**{field: longest + "x"})[field]
    assert "at most 10000 characters" in message


def test_base64_files_are_not_bounded_as_text() -> None:
    pdf = "JVBERi0x" * MAX_TEXT_LENGTH
    assert billing(boleto_base64=pdf).boleto_base64 == pdf


def test_customer_free_text_is_bounded() -> None:
    error = invalid(nf.CustomerInput, customer_item(name="n" * (MAX_TEXT_LENGTH + 1)))
    assert list(error.errors) == ["name"] and error.integration_identifier == "cust-1"


def nested(depth: int) -> dict[str, Any]:
    """A JSON object `depth` containers deep (`{"k": 1}` is 1, `{"k": [1]}` is 2)."""
    value: Any = 1
    for level in range(depth - 1):
        value = [value] if level % 2 == 0 else {"k": value}
    return {"k": value}


def json_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(json_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(json_depth, value), default=0)
    return 0


def test_boleto_nesting_is_bounded_so_the_body_stays_within_max_json_depth() -> None:
    deepest = nested(MAX_FIELD_DEPTH)
    assert json_depth(deepest) == MAX_FIELD_DEPTH
    body = json.loads(encode_batch("billings", [billing(boleto=deepest)]))
    assert json_depth(body) == MAX_JSON_DEPTH
    too_deep = nested(MAX_FIELD_DEPTH + 1)
    assert json_depth(too_deep) == MAX_FIELD_DEPTH + 1
    (message,) = billing_errors(boleto=too_deep)["boleto"]
    assert "nested too deeply" in message and str(MAX_FIELD_DEPTH) in message


def test_a_boleto_nested_100000_deep_is_a_field_error() -> None:
    value: Any = 1
    for _ in range(100_000):
        value = [value]
    assert "nested too deeply" in billing_errors(boleto={"k": value})["boleto"][0]


@pytest.mark.parametrize(
    ("boleto", "hint"),
    [
        ({"rate": float("nan")}, "finite"),
        ({"when": datetime(2025, 1, 1, tzinfo=UTC)}, "JSON value"),
        ({"k": {1: "x"}}, "text keys"),
        ({"k": [b"bytes"]}, "JSON value"),
    ],
)
def test_boleto_must_be_json(boleto: dict[str, Any], hint: str) -> None:
    assert hint in billing_errors(boleto=boleto)["boleto"][0]


# -- fields integrators send (issue 11) ------------------------------------------------------------


def test_fields_integrators_send_are_typed() -> None:
    item = billing(
        issued_at=date(2025, 1, 1),
        payee_name="Loja Exemplo LTDA",
        payee_document="51.491.769/0001-90",
        installments_data=[
            {"amount": 7500, "due_date": "2025-02-01", "installment_number": 1},
            {"amount": "7500", "due_date": 1740970800, "installment_number": 2},
        ],
        origin="erp",
    )
    sent = json.loads(item.to_json())
    assert sent["issued_at"] == 1735700400
    assert sent["payee_name"] == "Loja Exemplo LTDA"
    assert sent["payee_document"] == VALID_CNPJ
    assert sent["installments_data"] == [
        {"amount": 7500, "due_date": 1738378800, "installment_number": 1},
        {"amount": 7500, "due_date": 1740970800, "installment_number": 2},
    ]
    assert sent["origin"] == "erp"
    assert isinstance(item.installments_data, list)
    assert isinstance(item.installments_data[0], nf.models.InstallmentData)


def test_fields_integrators_send_are_validated() -> None:
    errors = billing_errors(
        issued_at="yesterday",
        payee_document="111.111.111-11",
        installments_data=[{"amount": 1.5, "due_date": 1, "installment_number": 1}, {"amount": 1}],
    )
    assert "ISO date" in errors["issued_at"][0]
    assert "not a valid CPF" in errors["payee_document"][0]
    assert "centavos" in errors["installments_data.0.amount"][0]
    assert errors["installments_data.1.due_date"] == ["required field is missing"]
    assert errors["installments_data.1.installment_number"] == ["required field is missing"]
    entry = {"amount": 1, "due_date": 1, "installment_number": 1}
    many = billing_errors(installments_data=[entry] * (MAX_INSTALLMENTS + 1))
    assert "at most 999 items" in many["installments_data"][0]
    assert billing_errors(installments_data=[{**entry, "amout": 1}]) == {
        "installments_data.0.amout": ["unknown field; did you mean 'amount'?"]
    }


def test_production_payload_with_issued_at_and_payee_fields_is_accepted() -> None:
    """The integrator's payload production answered 202 (shared/neofin-api.md section 8)."""
    item = billing_item(issued_at=1703084752, payee_name="Loja", payee_document=VALID_CPF)
    assert validate_item(nf.BillingInput, item, 0).payee_document == VALID_CPF


@pytest.mark.parametrize(
    ("typo", "hint"),
    [("payee_nmae", "payee_name"), ("issued_date", "issued_at"), ("orign", "origin")],
)
def test_misspelled_new_fields_are_refused_with_a_hint(typo: str, hint: str) -> None:
    assert billing_errors(**{typo: "x"}) == {typo: [f"unknown field; did you mean {hint!r}?"]}


# -- pass-through fields (issue 11) ----------------------------------------------------------------


def passed(item: dict[str, Any], extra_fields: Any) -> nf.BillingInput:
    return validate_item(nf.BillingInput, item, 5, extra_fields=resolve_extra_fields(extra_fields))


def test_named_extra_fields_are_sent_unchanged() -> None:
    extra = {"erp_code": "A-17", "tags": ["x", {"y": 1}], "weight": 2.5, "flag": False}
    item = passed(billing_item(**extra), set(extra))
    assert isinstance(item, nf.BillingInput)
    assert item.model_extra == extra
    sent = json.loads(item.to_json())
    assert {k: sent[k] for k in extra} == extra
    assert sent["customer_document"] == VALID_CNPJ  # the known fields are still normalised
    body = json.loads(encode_batch("billings", [item, billing()]))
    assert body["billings"][0]["erp_code"] == "A-17" and "erp_code" not in body["billings"][1]


class _Tagged(nf.BillingInput):
    erp_code: str = "A-1"


class _Upper(nf.BillingInput):
    def to_json(self) -> bytes:
        return super().to_json().replace(b"bolepix", b"BOLEPIX")


@pytest.mark.parametrize(
    "batch",
    [
        pytest.param(lambda: [billing(), billing(amount=2)], id="one model"),
        pytest.param(lambda: [passed(billing_item(erp=i), {"erp"}) for i in range(3)], id="extras"),
        pytest.param(lambda: [billing(), passed(billing_item(erp=1), {"erp"})], id="mixed"),
        pytest.param(lambda: [_Tagged.model_validate(billing_item())] * 2, id="subclass"),
        pytest.param(lambda: [_Upper.model_validate(billing_item())] * 2, id="own to_json"),
    ],
)
def test_a_batch_is_sent_as_its_items_to_json(batch: Callable[[], list[nf.BillingInput]]) -> None:
    items = batch()
    expected = b'{"billings":[%s]}' % b",".join(item.to_json() for item in items)
    assert encode_batch("billings", items) == expected
    assert encode_batch("billings", iter(items)) == expected


def test_other_unknown_fields_are_still_refused_with_a_hint() -> None:
    with pytest.raises(nf.InvalidItemError) as info:
        passed(billing_item(erp_code=1, erp_cod=2, custmer_name="x", amount=0), {"erp_code"})
    assert info.value.index == 5
    assert info.value.errors["erp_cod"] == ["unknown field; did you mean 'erp_code'?"]
    assert info.value.errors["custmer_name"] == ["unknown field; did you mean 'customer_name'?"]
    assert "greater than 0" in info.value.errors["amount"][0]
    assert "erp_code" not in info.value.errors


def test_allow_lets_any_field_through() -> None:
    item = passed(billing_item(anything="x", other={"a": [1]}), "allow")
    assert json.loads(item.to_json())["other"] == {"a": [1]}
    assert "amount" in invalid_with_extras(billing_item(anything="x", amount=-5), "allow")


def invalid_with_extras(item: dict[str, Any], extra_fields: Any) -> dict[str, list[str]]:
    with pytest.raises(nf.InvalidItemError) as info:
        passed(item, extra_fields)
    return info.value.errors


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (float("nan"), "finite"),
        (nested(MAX_FIELD_DEPTH + 1), "nested too deeply"),
        (object(), "JSON value"),
    ],
)
def test_pass_through_values_must_be_json(value: Any, hint: str) -> None:
    for option in ({"erp"}, "allow"):
        assert hint in invalid_with_extras(billing_item(erp=value), option)["erp"][0]


def test_pass_through_none_is_left_out_like_unset_fields() -> None:
    assert "erp" not in json.loads(passed(billing_item(erp=None), {"erp"}).to_json())


def test_non_text_field_names_are_refused() -> None:
    errors = invalid_with_extras({**billing_item(), 7: "x"}, "allow")  # type: ignore[dict-item]
    assert errors == {"7": ["field names must be text"]}


def test_without_extra_fields_the_default_path_refuses_as_before() -> None:
    assert billing_errors(zz_top=1) == {"zz_top": ["unknown field"]}
    assert "erp_code" in invalid(nf.BillingInput, billing_item(erp_code=1)).errors
    item = billing()
    assert validate_item(nf.BillingInput, item, 0, extra_fields=frozenset({"x"})) is item


def test_pass_through_works_for_customers() -> None:
    item = validate_item(
        nf.CustomerInput,
        customer_item(block_neofin_charge_creation=True),
        0,
        extra_fields=resolve_extra_fields({"block_neofin_charge_creation"}),
    )
    assert json.loads(item.to_json())["block_neofin_charge_creation"] is True
    assert isinstance(item, nf.CustomerInput)


def test_resolve_extra_fields_combines_the_client_and_the_call() -> None:
    assert resolve_extra_fields() is None
    assert resolve_extra_fields(None, None) is None
    assert resolve_extra_fields(["a"], None) == frozenset({"a"})
    assert resolve_extra_fields({"a"}, ("b",)) == frozenset({"a", "b"})
    assert resolve_extra_fields({"a"}, "allow") == "allow"
    assert resolve_extra_fields("allow", None) == "allow"
    assert resolve_extra_fields(frozenset(), ()) is None  # the fast default path
    assert resolve_extra_fields(name for name in ("a", "b")) == frozenset({"a", "b"})  # type: ignore[arg-type]
    for bad in ("erp_code", [1], {"a": 1, 2: 3}, 5, True):
        with pytest.raises(nf.ConfigurationError, match="extra_fields"):
            resolve_extra_fields(bad)  # type: ignore[arg-type]
        with pytest.raises(nf.ConfigurationError):
            resolve_extra_fields("allow", bad)  # type: ignore[arg-type]


# -- messages ------------------------------------------------------------------------------------


def test_pattern_refusals_are_worded_and_show_a_short_value() -> None:
    errors = billing_errors(customer_mail="x" * 5000, address_state="São Paulo")
    (mail,) = errors["customer_mail"]
    assert mail.endswith("is not an e-mail address") and len(mail) < 100
    assert errors["address_state"] == ["'São Paulo' is not a Brazilian state code (UF), e.g. 'SP'"]
    assert billing_errors(integration_identifier="\t ") == {
        "integration_identifier": ["must not be empty"]
    }
    (phone,) = billing_errors(customer_phone="(11) 9" + "x" * 5000)["customer_phone"]
    assert "is not a phone number" in phone and len(phone) < 100


def test_empty_state_and_mail_pass_as_before() -> None:
    item = billing(address_state="", customer_mail="", recipients=[""])
    assert (item.address_state, item.customer_mail, item.recipients) == ("", "", [""])


# -- outputs ---------------------------------------------------------------------------------------


def test_queued_response_carries_a_request_id() -> None:
    queued = nf.QueuedResponse.model_validate({"message": "Billings successfully queued."})
    assert queued.request_id is None
    queued.request_id = "3f1c-9b2a"
    assert queued.request_id == "3f1c-9b2a"
    assert nf.QueuedResponse.model_validate({"request_id": "r-1"}).request_id == "r-1"
