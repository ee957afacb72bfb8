"""Real ERP exports through the command: mapping, encodings, dates, trimming, hints."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

from test_cli import ROOT, RecordingEmulator, cli, load, one_line_error, served

from neofin_async._brazil import normalize_document, sao_paulo
from neofin_async.exports import parse_reais

__all__ = ["served"]  # the fixture, used by name

DATA = ROOT / "examples" / "data"
ERP_BILLINGS = [
    "upsert", "billings", "examples/data/erp_billings.csv", "--encoding", "cp1252",
    "--columns", "examples/data/erp_billings.columns.json", "--amount-unit", "reais",
]  # fmt: skip


def erp_rows(name: str) -> list[dict[str, str]]:
    """The committed export read plainly (cp1252, `sep=;`, `;`), header -> raw cell."""
    lines = (DATA / name).read_text(encoding="cp1252").splitlines()
    assert lines[0] == "sep=;"
    header = lines[1].split(";")
    return [
        dict(zip(header, line.split(";"), strict=True)) for line in lines[2:] if '"' not in line
    ]


def sao_paulo_midnight(day_first: str) -> int:
    day, month, year = (int(part) for part in day_first.split("/"))
    return int(datetime.combine(date(year, month, day), time(), tzinfo=sao_paulo()).timestamp())


def test_a_portuguese_cp1252_export_through_columns(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    report = tmp_path / "report.json"
    result = cli(*ERP_BILLINGS, "--base-url", url, "--report", str(report))
    assert result.returncode == 0, result.stderr + result.stdout
    data = load(report)
    assert (data["total"], data["accepted"]) == (40, 40)
    rows = erp_rows("erp_billings.csv")
    assert len(rows) >= 30
    for row in rows:
        identifier = row["Código"].strip()
        stored = emulator.billings[identifier].data  # trimmed: `PED-00007  ` is PED-00007
        assert stored["amount"] == parse_reais(row["Valor"])  # "8.694,50" -> 869450
        assert stored["due_date"] == sao_paulo_midnight(row["Vencimento"])  # day first
        assert stored["customer_document"] == normalize_document(row["CPF/CNPJ"])
        assert stored["type"] == row["Forma de Pagamento"].strip()
        assert stored["by_mail"] is (row["Enviar por E-mail"] == "Sim")
    assert any(row["Código"] != row["Código"].strip() for row in rows)  # the export pads some
    customers = cli(
        "upsert", "customers", "examples/data/erp_customers.csv", "--encoding", "cp1252",
        "--columns", "examples/data/erp_customers.columns.json", "--base-url", url,
    )  # fmt: skip
    assert customers.returncode == 0, customers.stderr
    assert "customers: 15/15 items  accepted 15" in customers.stderr


def test_unknown_columns_refuse_the_run_once_before_anything_is_sent(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    mapping = json.loads((DATA / "erp_billings.columns.json").read_text(encoding="utf-8"))
    del mapping["Vendedor"], mapping["Observação"]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(mapping), encoding="utf-8")
    command = [*ERP_BILLINGS, "--base-url", url]
    command[command.index("examples/data/erp_billings.columns.json")] = str(partial)
    result = cli(*command)
    assert result.returncode == 2
    error = one_line_error(result)
    assert "2 columns not known as billing fields: 'Observação', 'Vendedor'" in error
    assert "--ignore-unknown-columns" in error and "--column" in error
    assert emulator.sent == []

    report = tmp_path / "report.json"
    ignored = cli(*command, "--ignore-unknown-columns", "--report", str(report))
    assert ignored.returncode == 0, ignored.stderr
    assert ignored.stdout.count("Observação") == 1 and ignored.stdout.count("Vendedor") == 1
    assert "Observação" not in ignored.stderr
    assert load(report)["ignored_columns"] == ["Observação", "Vendedor"]


def test_column_flags_map_and_drop_and_win_over_the_file(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    export = tmp_path / "export.csv"
    export.write_text(
        "CODIGO;Documento;VALOR;Vencimento;Parcelamento;Parcelas;Tipo;Nota\n"
        "A-1 ; 529.982.247-25 ;1500;15/03/2027;monthly;1;pix ;x\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Código": "integration_identifier", "Valor": "fees"}))
    result = cli(
        "upsert", "billings", str(export), "--columns", str(mapping), "--base-url", url,
        "--column", "valor=amount", "--column", "Documento=customer_document",
        "--column", "vencimento=due_date", "--column", "Parcelamento=installment_type",
        "--column", "Parcelas=installments", "--column", "Tipo=type", "--column", "Nota=",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stored = emulator.billings["A-1"].data
    assert stored["amount"] == 1500 and "fees" not in stored and stored["type"] == "pix"
    assert stored["due_date"] == sao_paulo_midnight("15/03/2027")

    wrong = cli("upsert", "billings", str(export), "--column", "VALOR=amout")
    assert wrong.returncode == 2
    assert "'amout' is not a billing field; did you mean 'amount'?" in one_line_error(wrong)
    malformed = cli("upsert", "billings", str(export), "--column", "VALOR")
    assert malformed.returncode == 2 and "SOURCE=FIELD" in one_line_error(malformed)
    not_json = tmp_path / "bad.json"
    not_json.write_text("[1]")
    refused = cli("upsert", "billings", str(export), "--columns", str(not_json))
    assert refused.returncode == 2 and "JSON object" in one_line_error(refused)
    bad_pattern = cli("upsert", "billings", str(export), "--date-format", "dd/mm")
    assert bad_pattern.returncode == 2 and "strftime" in one_line_error(bad_pattern)


def test_bad_values_name_line_field_and_value_and_the_good_rows_go_through(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    export = tmp_path / "export.csv"
    export.write_text(
        "sep=;\n"
        "integration_identifier;customer_document;amount;due_date;installment_type;"
        "installments;type\n"
        "ok-1;52998224725;1500;15/03/2027;monthly;1;pix\n"
        "reais;52998224725;1.234,56;15/03/2027;monthly;1;pix\n"
        "month-first;52998224725;1500;03/15/2027;monthly;1;pix\n"
        "ok-2;52998224725;990;15-03-2027;monthly;1;pix\n",
        encoding="utf-8",
    )
    result = cli("upsert", "billings", str(export), "--base-url", url)
    assert result.returncode == 1
    assert (
        "line 4 reais: invalid: amount: '1.234,56' is not a whole number of centavos; "
        "it looks like reais: pass --amount-unit reais" in result.stdout
    )
    assert "line 5 month-first: invalid: due_date: '03/15/2027' is not a date" in result.stdout
    assert "--date-format %m/%d/%Y" in result.stdout
    assert sorted(emulator.billings) == ["ok-1", "ok-2"]
