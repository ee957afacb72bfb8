"""Real exports in: column mapping, day-first dates, trimmed cells, `sep=`, amount hints, and
the `Sourced` records a journal re-run skips without parsing (in-process)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import neofin_async as nf
from neofin_async._brazil import sao_paulo
from neofin_async._exceptions import ConfigurationError
from neofin_async.bulk import Sourced
from neofin_async.exports import (
    ReadOptions,
    Records,
    fields_of,
    normalize,
    parse_centavos,
    parse_date,
    resolve,
    write_records,
)
from neofin_async.models import BillingInput, CustomerInput

ROOT = Path(__file__).resolve().parents[1]
BILLINGS = fields_of("billings")
REQUIRED = "customer_document;amount;installment_type;installments;type"
VALUES = "52998224725;1000;monthly;1;pix"


def records(path: Path, resource: str = "billings", **options: Any) -> Records:
    return Records(ReadOptions(path=str(path), **options), fields_of(resource))


def read(path: Path, resource: str = "billings", **options: Any) -> list[Any]:
    return list(records(path, resource, **options))


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- headers and the mapping -------------------------------------------------------------------


def test_headers_match_ignoring_case_accents_and_spaces() -> None:
    assert normalize("  Código  do   Cliente ") == "codigo do cliente"
    layout = resolve(
        ["CODIGO", " Valor ", "Customer Document", "due-date", "Observação", ""],
        {"Código": "integration_identifier", "valor": "amount", "OBSERVACAO": None},
        BILLINGS,
        ignore_unknown=False,
        source="x.csv",
    )
    assert layout.names == (
        "integration_identifier", "amount", "customer_document", "due_date", None, None,
    )  # fmt: skip
    assert layout.ignored == ()


def test_unknown_columns_are_named_once_with_both_ways_out() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(["integration_identifier", "Vendedor", "amout"], {}, BILLINGS,
                ignore_unknown=False, source="x.csv")  # fmt: skip
    message = str(caught.value)
    assert "'Vendedor'" in message and "'amout' (did you mean 'amount'?)" in message
    assert "--ignore-unknown-columns" in message and "--column" in message
    layout = resolve(["integration_identifier", "Vendedor"], {}, BILLINGS,
                     ignore_unknown=True, source="x.csv")  # fmt: skip
    assert layout.names == ("integration_identifier", None) and layout.ignored == ("Vendedor",)


def test_two_columns_filling_one_field_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="'Valor' and 'amount' both fill 'amount'"):
        resolve(["Valor", "amount"], {"Valor": "amount"}, BILLINGS,
                ignore_unknown=False, source="x.csv")  # fmt: skip


def test_the_header_is_checked_when_the_file_is_opened(tmp_path: Path) -> None:
    path = write(tmp_path, "integration_identifier;Observação\nA;x\n")
    with pytest.raises(ConfigurationError, match="Observação"):
        records(path)  # before any record is read, so before anything is sent
    assert read(path, ignore_unknown_columns=True) == [{"integration_identifier": "A"}]
    reader = records(path, ignore_unknown_columns=True)
    reader.close()
    assert reader.ignored_columns == ("Observação",)


def test_a_cp1252_header_read_as_utf8_asks_for_the_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "Código;Valor\nA;1\n", encoding="cp1252")
    with pytest.raises(ValueError, match="not utf-8 text; pass --encoding"):
        records(path, columns={"Código": "integration_identifier", "Valor": "amount"})


def test_mapped_json_lines_keys_and_ignored_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '{"Código": " A ", "Valor": "1.234,56", "Vencimento": "15/03/2027", "nota": "x"}\n',
        name="export.jsonl",
    )
    mapping = {"codigo": "integration_identifier", "valor": "amount", "vencimento": "due_date"}
    reader = records(path, columns=mapping, amount_unit="reais", ignore_unknown_columns=True)
    assert list(reader) == [
        {"integration_identifier": "A", "amount": 123456, "due_date": date(2027, 3, 15)}
    ]
    assert reader.ignored_columns == ("nota",)


# -- cells ---------------------------------------------------------------------------------


def test_every_cell_is_trimmed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"integration_identifier;{REQUIRED};due_date;by_mail\n"
        f" PED-1 ;{VALUES.replace('pix', 'pix ')};\t15/03/2027 ; Sim\n"
        f'" PED-2\u00a0";{VALUES};2027-03-15;" não "\n',
    )
    first, second = read(path)
    assert first["integration_identifier"] == "PED-1" and first["type"] == "pix"
    assert first["due_date"] == date(2027, 3, 15) and first["by_mail"] is True
    assert second["integration_identifier"] == "PED-2" and second["by_mail"] is False
    BillingInput.model_validate(first)


def test_excel_sep_line_sets_the_separator_and_counts_as_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sep=,\r\nintegration_identifier,by_mail\r\nA,sim\r\nB,talvez\r\n")
    items = read(path)
    reader = records(path)
    list(reader)
    assert items[0] == {"integration_identifier": "A", "by_mail": True}
    assert isinstance(items[1], nf.InvalidItemError) and "'talvez'" in items[1].errors["by_mail"][0]
    assert list(reader.lines) == [3, 4]


@pytest.mark.parametrize(
    "text", ["15/03/2027", "15/03/27", "15-03-2027", " 15/3/2027 ", "15/03/2027 00:00"]
)
def test_day_first_dates_are_that_day_in_sao_paulo(text: str) -> None:
    parsed = parse_date(text)
    midnight = datetime(2027, 3, 15, tzinfo=sao_paulo())
    item = BillingInput.model_validate(
        {"integration_identifier": "A", "customer_document": "52998224725", "amount": 1,
         "due_date": parsed, "installment_type": "monthly", "installments": 1, "type": "pix"}
    )  # fmt: skip
    assert item.due_date == int(midnight.timestamp())


def test_dates_are_never_read_month_first() -> None:
    with pytest.raises(ValueError) as caught:
        parse_date("03/15/2027")
    assert "'03/15/2027'" in str(caught.value) and "--date-format %m/%d/%Y" in str(caught.value)
    with pytest.raises(ValueError, match=r"'31/02/2027' is not a date \(day first"):
        parse_date("31/02/2027")
    assert parse_date("1924991999") == "1924991999"  # Unix seconds: the models read them
    assert parse_date("2027-03-15") == "2027-03-15"
    assert parse_date("15/03/99") == date(1999, 3, 15) and parse_date("15/03/68") == date(
        2068, 3, 15
    )


def test_date_format_reads_other_layouts() -> None:
    assert parse_date("20270315", "%Y%m%d") == date(2027, 3, 15)
    assert parse_date("03/15/2027", "%m/%d/%Y") == date(2027, 3, 15)
    at = parse_date("15.03.2027 14:30", "%d.%m.%Y %H:%M")
    assert at == datetime(2027, 3, 15, 14, 30, tzinfo=sao_paulo())
    assert parse_date("2027-03-15", "%d.%m.%Y") == "2027-03-15"  # ISO still passes through
    with pytest.raises(ValueError, match=r"does not match --date-format %d\.%m\.%Y"):
        parse_date("15/03/2027", "%d.%m.%Y")


@pytest.mark.parametrize("text", ["1.234,56", "150.00", "R$ 99,90", "12,5"])
def test_an_amount_in_reais_read_as_centavos_says_so(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_centavos(text)
    assert repr(text) in str(caught.value) and "--amount-unit reais" in str(caught.value)


@pytest.mark.parametrize("value", ["abc", "", True, [1]])
def test_a_bad_amount_names_its_value_without_a_wrong_hint(value: Any) -> None:
    with pytest.raises(ValueError) as caught:
        parse_centavos(value)
    assert repr(value) in str(caught.value) and "reais" not in str(caught.value)


def test_bad_cells_name_field_and_value_and_good_rows_still_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"integration_identifier;{REQUIRED};due_date\n"
        f"A;{VALUES.replace(';1000;', ';1.234,56;')};15/03/2027\n"
        f"B;{VALUES};03/15/2027\n"
        f"C;{VALUES};15/03/2027\n",
    )
    bad_amount, bad_date, good = read(path)
    assert (
        bad_amount.integration_identifier == "A" and "'1.234,56'" in bad_amount.errors["amount"][0]
    )
    assert "--amount-unit reais" in bad_amount.errors["amount"][0]
    assert (
        bad_date.integration_identifier == "B" and "'03/15/2027'" in bad_date.errors["due_date"][0]
    )
    assert BillingInput.model_validate(good).amount == 1000


# -- the committed ERP exports -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "model"), [("billings", BillingInput), ("customers", CustomerInput)]
)
def test_the_shipped_erp_exports_read_with_their_mapping(resource: str, model: type[Any]) -> None:
    import json

    mapping = json.loads((ROOT / f"examples/data/erp_{resource}.columns.json").read_text("utf-8"))
    reader = records(
        ROOT / f"examples/data/erp_{resource}.csv",
        resource,
        encoding="cp1252",
        columns=mapping,
        amount_unit="reais",
    )
    raw = (ROOT / f"examples/data/erp_{resource}.csv").read_bytes()
    assert raw.startswith(b"sep=;\r\n") and b"\r\n" in raw and "ç".encode("cp1252") in raw
    items = list(reader)
    assert len(items) >= 15 and reader.ignored_columns == ()
    for item in items:
        model.model_validate(item)
        assert item["integration_identifier"] == item["integration_identifier"].strip()


# -- Sourced: key and digest now, the record on demand ------------------------------------------

EXPORT = (
    f"integration_identifier;{REQUIRED};description;due_date\n"
    f"A;{VALUES};one line;15/03/2027\n"
    f'B;{VALUES};"two\nlines; quoted";15/03/2027\n'
    f"C;{VALUES};;2027-03-15\n"
)


def digests(path: Path, **options: Any) -> dict[str | None, bytes]:
    return {s.key: s.digest for s in records(path, **options).sourced()}


def test_sourced_records_load_what_plain_reading_gives(tmp_path: Path) -> None:
    path = write(tmp_path, EXPORT)
    sourced = list(records(path).sourced())
    assert all(isinstance(s, Sourced) for s in sourced)
    assert [s.key for s in sourced] == ["A", "B", "C"]
    assert [s.load() for s in sourced] == read(path)
    reader = records(path)
    list(reader.sourced())
    assert list(reader.lines) == [2, 3, 5]
    assert len({s.digest for s in sourced}) == 3 and all(len(s.digest) == 16 for s in sourced)


def test_a_digest_changes_with_the_row_and_with_every_reading_option(tmp_path: Path) -> None:
    path = write(tmp_path, EXPORT)
    before = digests(path)
    moved = write(tmp_path, EXPORT.splitlines(keepends=True)[0] + "".join(
        EXPORT.splitlines(keepends=True)[i] for i in (4, 1, 2, 3)
    ), name="moved.csv")  # fmt: skip
    assert digests(moved) == before  # the same rows in another order: nothing changed
    edited = write(tmp_path, EXPORT.replace("one line", "one line!"), name="edited.csv")
    changed = digests(edited)
    assert changed["A"] != before["A"] and changed["B"] == before["B"]
    for options in (
        {"amount_unit": "reais"},
        {"encoding": "cp1252"},
        {"date_format": "%d/%m/%Y"},
        {"columns": {"description": None}},
    ):
        assert digests(path, **options)["C"] != before["C"], options
    renamed = write(tmp_path, EXPORT.replace("description", "Histórico"), name="renamed.csv")
    assert digests(renamed, columns={"Histórico": "description"}) == before  # the same fields


def test_the_key_comes_from_the_mapped_column_and_bad_rows_still_have_one(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "Valor;Código\n1,00;X-1\n2,00;X-2;surplus\n", encoding="cp1252")
    sourced = list(
        records(path, encoding="cp1252", columns={"Código": "integration_identifier",
                "Valor": "amount"}, amount_unit="reais").sourced()
    )  # fmt: skip
    assert [s.key for s in sourced] == ["X-1", "X-2"]
    assert sourced[0].load() == {"amount": 100, "integration_identifier": "X-1"}
    invalid = sourced[1].load()
    assert isinstance(invalid, nf.InvalidItemError) and invalid.integration_identifier == "X-2"


def test_a_row_that_does_not_decode_is_invalid_but_keyed(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"integration_identifier;name\nA;Ana\nB;Concei\xe7\xe3o\n")
    sourced = list(records(path, "customers").sourced())
    assert [s.key for s in sourced] == ["A", "B"]
    assert isinstance(sourced[1].load(), nf.InvalidItemError)


def test_estimate_comes_from_the_bytes_read(tmp_path: Path) -> None:
    path = write(
        tmp_path, "integration_identifier\n" + "".join(f"ID-{i:04d}\n" for i in range(1000))
    )
    reader = records(path)
    rows = iter(reader)
    for _ in range(100):
        next(rows)
    estimate = reader.estimate()
    assert estimate is not None and not estimate[1] and 900 <= estimate[0] <= 1100
    list(rows)
    assert reader.estimate() == (1000, True)


async def test_a_rerun_skips_unchanged_rows_without_parsing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neofin_async.cli._sample import BILLING_COLUMNS, billings
    from neofin_async.emulator import Emulator

    rows = list(billings(120, seed=5))
    path = tmp_path / "export.csv"

    def export() -> None:
        with open(path, "w", encoding="utf-8", newline="") as file:
            write_records(rows, BILLING_COLUMNS, file, "csv")

    loads = 0
    load = Records._load

    def counted(self: Records, *args: Any) -> Any:
        nonlocal loads
        loads += 1
        return load(self, *args)

    monkeypatch.setattr(Records, "_load", counted)
    journal = str(tmp_path / "sync.sqlite")
    async with Emulator().client() as client:
        export()
        first = await client.billings.bulk_upsert(records(path).asourced(), journal=journal)
        assert (first.accepted, loads) == (120, 120)
        rows[7]["amount"] += 1
        export()
        loads = 0
        second = await client.billings.bulk_upsert(records(path).asourced(), journal=journal)
    assert (second.accepted, second.unchanged, second.requests) == (120, 119, 1)
    assert loads == 1  # only the edited row was parsed (and validated)


def test_excel_unicode_text_utf16_with_tabs_is_read(tmp_path: Path) -> None:
    text = "integration_identifier\tname\tdocument\r\nC-1\tConceição Ltda\t529.982.247-25\r\n"
    path = tmp_path / "export.txt"
    path.write_bytes(text.encode("utf-16"))  # with its BOM, as Excel writes "Unicode text"
    assert read(path, "customers") == [
        {"integration_identifier": "C-1", "name": "Conceição Ltda", "document": "529.982.247-25"}
    ]
    broken = tmp_path / "broken.txt"
    broken.write_bytes(text.encode("utf-16")[:-4] + b"\x00\xd8" + "x\r\n".encode("utf-16-le"))
    items = read(broken, "customers")
    assert isinstance(items[-1], nf.InvalidItemError)
    assert "is not utf-16 text" in items[-1].errors["(line)"][0]
    utf8 = write(tmp_path, text, name="utf8.txt")
    keys = [[s.digest for s in records(p, "customers").sourced()] for p in (path, utf8)]
    assert keys[0] != keys[1]  # the encoding is part of the digest
