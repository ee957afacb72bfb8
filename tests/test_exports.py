"""`neofin_async.exports` beyond the CLI's own tests: an open binary file with a name and a
starting line (a shard's header and byte range), a row that is not CSV, and the fields of
Piriod's and ChargeOver's records."""

from __future__ import annotations

import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest

import neofin_async as nf
from neofin_async.chargeover import CustomerInput as ChargeOverCustomer
from neofin_async.exports import (
    ReadOptions,
    ReadSettings,
    Records,
    check_mapping,
    fields_of,
    resolve,
)
from neofin_async.piriod import CustomerInput as PiriodCustomer

HEADER = b"integration_identifier,customer_document,amount\n"


def records_of(
    path: Path, resource: str = "customers", provider: str = "neofin", **options: Any
) -> Records:
    return Records(ReadOptions(path=str(path), **options), fields_of(resource, provider))


def test_an_open_binary_file_is_read_with_its_name_and_first_line() -> None:
    body = b"A-1,51491769000190,100\nA-2,51491769000190,abc\n"
    file = io.BytesIO(HEADER + body)
    records = Records(
        ReadOptions(path="/shared/big.csv"),
        fields_of("billings"),
        file=file,
        name="big.csv (shard 3)",
        first_line=1001,
    )
    items = list(records)
    assert items[0] == {
        "integration_identifier": "A-1",
        "customer_document": "51491769000190",
        "amount": 100,
    }
    assert isinstance(items[1], nf.InvalidItemError) and "amount" in items[1].errors
    assert list(records.lines) == [1001, 1002]
    assert records.name == "big.csv (shard 3)" and records.format == "csv"
    assert not file.closed  # its owner closes it


def test_json_lines_from_an_open_file_start_at_the_line_given() -> None:
    file = io.BytesIO(b'{"integration_identifier": "J-1"}\n\n{"integration_identifier": "J-2"}\n')
    records = Records(
        ReadOptions(path="part.jsonl"), fields_of("customers"), file=file, first_line=40
    )
    assert [r["integration_identifier"] for r in records] == ["J-1", "J-2"]
    assert list(records.lines) == [40, 42]


def test_a_row_that_is_not_csv_is_invalid_alone_and_keyed_by_nothing(tmp_path: Path) -> None:
    """A bare carriage return inside an unquoted cell: that row is refused, saying why (it
    used to come out as a row keyed by the error text, missing every field)."""
    path = tmp_path / "b.csv"
    path.write_bytes(HEADER + b'A-1,51491769000190,100\nA-2,"x"\ry,1\nA-3,51491769000190,5\n')
    items = list(records_of(path, "billings"))
    assert [type(i).__name__ for i in items] == ["dict", "InvalidItemError", "dict"]
    bad = items[1]
    assert isinstance(bad, nf.InvalidItemError) and bad.integration_identifier is None
    assert list(bad.errors) == ["(row)"] and "is not valid CSV" in bad.errors["(row)"][0]
    sourced = list(records_of(path, "billings").sourced())
    assert [s.key for s in sourced] == ["A-1", None, "A-3"]


def test_piriod_columns_dotted_and_metadata_fill_its_model(tmp_path: Path) -> None:
    path = tmp_path / "piriod.csv"
    path.write_text(
        "Reference,name,country,tax_id,tax_settings.cl_activity_description,"
        "metadata.ERP Segment,Send Invoices\n"
        "P-1,ACME SpA,CL,76.086.428-5,Venta de repuestos,retail,Sim\n"
        "P-2,Beta SpA,CL,76.086.428-5,,,0\n",
        encoding="utf-8",
    )
    records = records_of(path, provider="piriod")
    items = list(records)
    assert items[0] == {
        "reference": "P-1",
        "name": "ACME SpA",
        "country": "CL",
        "tax_id": "76.086.428-5",
        "tax_settings.cl_activity_description": "Venta de repuestos",
        "metadata.ERP Segment": "retail",  # the metadata key as written
        "send_invoices": True,
    }
    assert items[1]["send_invoices"] is False and "metadata.ERP Segment" not in items[1]
    model = PiriodCustomer.model_validate(items[0])
    assert model.metadata == {"ERP Segment": "retail"}
    assert model.tax_settings is not None and model.tax_settings.cl_activity_description
    assert records.fields.key == "reference"


def test_chargeover_booleans_and_tags(tmp_path: Path) -> None:
    path = tmp_path / "co.csv"
    path.write_text(
        "external_key,company,no_taxes,no_dunning,tags\n"
        'CO-1,Acme Inc.,yes,0,"vip; net 30, monthly;east"\n',
        encoding="utf-8",
    )
    (item,) = list(records_of(path, provider="chargeover"))
    assert item == {
        "external_key": "CO-1",
        "company": "Acme Inc.",
        "no_taxes": True,
        "no_dunning": False,
        "tags": ["vip", "net 30, monthly", "east"],  # split on ';' only
    }
    assert ChargeOverCustomer.model_validate(item).tags == ["vip", "net 30, monthly", "east"]


def test_a_column_of_another_provider_is_unknown() -> None:
    with pytest.raises(nf.ConfigurationError, match="not known as customer fields: 'document'"):
        resolve(["external_key", "document"], {}, fields_of("customers", "chargeover"),
                ignore_unknown=False, source="x.csv")  # fmt: skip
    check_mapping({"Segmento": "metadata.segment"}, fields_of("customers", "piriod"))
    with pytest.raises(nf.ConfigurationError, match=r"'metadata\.segment' is not a customer"):
        check_mapping({"Segmento": "metadata.segment"}, fields_of("customers", "chargeover"))


def test_unknown_provider_or_resource() -> None:
    with pytest.raises(nf.ConfigurationError, match="provider piriod has no resource 'billings'"):
        fields_of("billings", "piriod")
    with pytest.raises(nf.ConfigurationError, match="unknown provider 'stripe'"):
        fields_of("customers", "stripe")


def test_read_options_are_the_settings_and_a_path() -> None:
    options = ReadOptions(path="x.csv", encoding="cp1252", columns={"Valor": "amount"})
    assert options.settings == ReadSettings(encoding="cp1252", columns={"Valor": "amount"})
    assert ReadOptions(path="x.csv", **options.settings.model_dump()) == options


def test_a_regular_file_is_read_in_the_loop_and_a_stream_in_a_thread(tmp_path: Path) -> None:
    """The engine reads a file's records a chunk at a time itself (fast: the page cache);
    a stream (stdin, a pipe, an open file object) is read in a worker thread, so a slow
    producer never blocks the event loop."""
    path = tmp_path / "b.csv"
    path.write_bytes(HEADER + b"A-1,51491769000190,100\n")
    records = records_of(path, "billings")
    on_disk = records.for_engine(digests=False)
    stream = Records(
        ReadOptions(path="b.csv"), fields_of("billings"), file=io.BytesIO(path.read_bytes())
    ).for_engine(digests=False)
    assert isinstance(on_disk, Iterable) and not isinstance(on_disk, AsyncIterable)
    assert isinstance(stream, AsyncIterator)
    records.close()
