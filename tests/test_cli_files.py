"""The CLI's input reader and its sample data, in-process."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from stdnum.br import cnpj, cpf

import neofin_async as nf
from neofin_async.cli import _sample, main
from neofin_async.exports import ReadOptions, Records, fields_of, parse_bool, parse_reais
from neofin_async.models._base import validate_item

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "data" / "billings.csv"


def records_of(path: Path, resource: str = "billings", **options: Any) -> Records:
    return Records(ReadOptions(path=str(path), **options), fields_of(resource))


def read(path: Path, resource: str = "billings", **options: Any) -> tuple[list[Any], Records]:
    records = records_of(path, resource, **options)
    return list(records), records


def test_csv_with_semicolons_bom_quoted_newlines_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "\ufeffintegration_identifier;description;recipients;by_mail;amount\n"
        'a;"two\nlines";x@example.com, y@example.com;Sim;100\n'
        "\n"
        ";;;;\n"
        "b;;;NÃO;\n".encode()
    )
    items, records = read(path)
    assert items == [
        {
            "integration_identifier": "a",
            "description": "two\nlines",
            "recipients": ["x@example.com", "y@example.com"],
            "by_mail": True,
            "amount": 100,
        },
        {"integration_identifier": "b", "by_mail": False},  # empty cells are absent fields
    ]
    assert list(records.lines) == [2, 6]
    assert records.format == "csv"


def test_unparseable_records_become_invalid_items_that_keep_their_identifier(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("integration_identifier,by_whatsapp\nok,1\nbad,maybe\nlong,1,2\n")
    items, _ = read(path)
    assert items[0] == {"integration_identifier": "ok", "by_whatsapp": True}
    assert isinstance(items[1], nf.InvalidItemError) and isinstance(items[2], nf.InvalidItemError)
    assert items[1].integration_identifier == "bad" and "by_whatsapp" in items[1].errors
    assert items[2].integration_identifier == "long" and "(row)" in items[2].errors
    with pytest.raises(nf.InvalidItemError) as caught:  # the hook in validate_item
        validate_item(nf.BillingInput, items[1], 7)
    assert caught.value.index == 7 and caught.value.errors == items[1].errors


def test_jsonl_detected_by_content_and_reais(tmp_path: Path) -> None:
    path = tmp_path / "export.data"
    path.write_text('{"amount": "1.234,56", "by_mail": "sim"}\n\n[]\n{"amount": 12.3}\n')
    items, records = read(path, amount_unit="reais")
    assert records.format == "jsonl" and list(records.lines) == [1, 3, 4]
    assert items[0] == {"amount": 123456, "by_mail": True}
    assert isinstance(items[1], nf.InvalidItemError)
    assert items[2] == {"amount": 1230}


def test_a_json_array_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("[{}]\n")
    with pytest.raises(ValueError, match="JSON Lines"):
        records_of(path)


def test_lines_that_do_not_decode_make_their_record_invalid(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("integration_identifier,name\nok,Ana\nx,Conceição\n".encode("cp1252"))
    items, records = read(path, "customers")
    assert items[0] == {"integration_identifier": "ok", "name": "Ana"}
    assert isinstance(items[1], nf.InvalidItemError)
    assert items[1].integration_identifier == "x" and list(records.lines) == [2, 3]
    assert "--encoding" in items[1].errors["(line)"][0]
    items, _ = read(path, "customers", encoding="cp1252")
    assert items[1] == {"integration_identifier": "x", "name": "Conceição"}
    with pytest.raises(ValueError, match="unknown encoding"):
        records_of(path, encoding="klingon")


@pytest.mark.parametrize(
    ("text", "centavos"),
    [("1234.56", 123456), ("1.234,56", 123456), ("R$ 7,5", 750), ("10", 1000), (0.1, 10)],
)
def test_parse_reais(text: str | float, centavos: int) -> None:
    assert parse_reais(text) == centavos


@pytest.mark.parametrize("text", ["abc", "1,001", "", "nan", True])
def test_parse_reais_refuses(text: Any) -> None:
    with pytest.raises(ValueError):
        parse_reais(text)


def test_parse_bool() -> None:
    assert [parse_bool(t) for t in ("true", "1", "Sim", "FALSE", "0", "não", "nao")] == [
        True, True, True, False, False, False, False,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool("talvez")


# -- sample data -----------------------------------------------------------------------------

CITIES = {(c.name, c.uf): c for c in _sample.CITIES}
E164 = re.compile(r"^\+55(\d\d)9\d{8}$")


def check_place(city: str, uf: str, cep: str, phone: str) -> None:
    place = CITIES[(city, uf)]
    assert place.cep_first <= int(cep.replace("-", "")) <= place.cep_last
    match = E164.match(phone)
    assert match and int(match[1]) == place.ddd


def test_sample_billings_are_valid_and_realistic() -> None:
    today = date(2030, 5, 17)
    rows = list(_sample.billings(300, seed=9, today=today))
    assert rows == list(_sample.billings(300, seed=9, today=today))  # seeded
    assert len({r["integration_identifier"] for r in rows}) == 300
    documents = {r["customer_document"] for r in rows}
    assert all(cpf.is_valid(d) or cnpj.is_valid(d) for d in documents)
    assert any(len(d) == 11 for d in documents) and any(len(d) == 14 for d in documents)
    for row in rows:
        nf.BillingInput.model_validate(row)
        check_place(
            row["address_city"],
            row["address_state"],
            row["address_zip_code"],
            row["customer_phone"],
        )
        due = date.fromisoformat(row["due_date"])
        assert today < due <= today + timedelta(days=120)
        assert isinstance(row["amount"], int) and row["amount"] > 0
        assert row["customer_mail"].endswith("example.com")


def test_sample_customers_are_valid() -> None:
    for row in _sample.customers(100, seed=2):
        nf.CustomerInput.model_validate(row)
        assert cpf.is_valid(row["document"]) or cnpj.is_valid(row["document"])
        check_place(
            row["address_city"], row["address_state"], row["address_zip_code"], row["phone"]
        )


def test_sample_command_writes_csv_or_jsonl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sample", "billings", "20", "--seed", "1", "-o", str(tmp_path / "b.jsonl")]) == 0
    lines = (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20
    for line in lines:
        item = json.loads(line)
        assert None not in item.values()  # absent fields are left out
        nf.BillingInput.model_validate(item)
    assert main(["sample", "customers", "3", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split(",") == list(_sample.CUSTOMER_COLUMNS) and len(out) == 4


def test_the_shipped_sample() -> None:
    with open(SAMPLE, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 500
    assert list(rows[0]) == list(_sample.BILLING_COLUMNS)
    for row in rows:
        assert cpf.is_valid(row["customer_document"]) or cnpj.is_valid(row["customer_document"])
        check_place(
            row["address_city"],
            row["address_state"],
            row["address_zip_code"],
            row["customer_phone"],
        )
