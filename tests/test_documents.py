"""CPF / CNPJ: public test vectors, and the fast check held equal to python-stdnum."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from conftest import cpf_check_digits
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.br import cnpj as stdnum_cnpj
from stdnum.br import cpf as stdnum_cpf

import neofin_async as nf
from neofin_async._brazil import normalize_document
from neofin_async.emulator._validation import compact_document

VECTORS = Path(__file__).parent / "data" / "documents.csv"
LENGTH = {"cpf": 11, "cnpj": 14}
REPEATED_CPFS = [f"{d * 3}.{d * 3}.{d * 3}-{d * 2}" for d in "0123456789"]


def read_vectors() -> list[dict[str, str]]:
    with VECTORS.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(line for line in file if not line.startswith("#")))


def verdict(document: str, kind: str) -> str:
    """`valid` when normalize_document accepts the document as that kind."""
    try:
        compact = normalize_document(document)
    except ValueError:
        return "invalid"
    return "valid" if len(compact) == LENGTH[kind] else "invalid"


def stdnum_valid(compact: str) -> bool:
    """The reference: python-stdnum's check, plus the repeated-digit CPF rule."""
    if len(compact) == 11:
        return stdnum_cpf.is_valid(compact) and len(set(compact)) > 1
    return len(compact) == 14 and stdnum_cnpj.is_valid(compact)


def ours_valid(document: str) -> bool:
    try:
        normalize_document(document)
    except ValueError:
        return False
    return True


# -- public vectors ----------------------------------------------------------------------------


def test_vectors_cover_the_three_sources_both_kinds_and_both_verdicts() -> None:
    rows = read_vectors()
    assert len(rows) > 580
    sources = {row["source"].split("@")[0] for row in rows}
    assert sources == {
        "arthurdejong/python-stdnum",
        "alvarofpp/validate-docbr",
        "poliquin/brazilnum",
    }
    pairs = {(row["kind"], row["expected"]) for row in rows}
    assert pairs == {(k, v) for k in LENGTH for v in ("valid", "invalid")}
    assert any(not row["document"].isascii() for row in rows)
    assert any(not row["document"].isdigit() and row["kind"] == "cnpj" for row in rows)


def test_every_vector_gets_the_expected_verdict() -> None:
    wrong = [
        (row["document"], row["kind"], row["expected"])
        for row in read_vectors()
        if verdict(row["document"], row["kind"]) != row["expected"]
    ]
    assert wrong == []


def test_every_disagreement_with_a_source_is_explained() -> None:
    disagreements = [row for row in read_vectors() if row["expected"] != row["source_says"]]
    # python-stdnum's 9 repeated-digit CPFs and its Unicode dash, padding (validate-docbr 1,
    # brazilnum 3), validate-docbr's all-zero CNPJ: each row's note gives the choice.
    assert len(disagreements) == 15
    for row in disagreements:
        assert "disagree:" in row["note"], row


def test_repeated_digit_cpfs_are_vectors_and_refused_where_stdnum_accepts_them() -> None:
    rows = [row for row in read_vectors() if row["note"].startswith("repeated digits")]
    assert {row["document"] for row in rows} == set(REPEATED_CPFS)
    assert {row["source"].split("@")[0] for row in rows} == {
        "arthurdejong/python-stdnum",
        "alvarofpp/validate-docbr",
    }
    assert sum(stdnum_cpf.is_valid(cpf) for cpf in REPEATED_CPFS) == 9  # all but zeros


@pytest.mark.parametrize("cpf", REPEATED_CPFS)
def test_repeated_digit_cpfs_are_refused_by_client_and_emulator(cpf: str) -> None:
    for document in (cpf, cpf.replace(".", "").replace("-", "")):
        with pytest.raises(ValueError, match="not a valid CPF"):
            normalize_document(document)
        assert compact_document(document) is None
    with pytest.raises(nf.InvalidItemError) as info:
        nf.models.validate_item(nf.CustomerInput, {"document": cpf}, 4)
    assert info.value.index == 4 and "document" in info.value.errors


def test_the_all_zero_cnpj_is_refused_like_stdnum() -> None:
    assert not stdnum_cnpj.is_valid("00000000000000")
    with pytest.raises(ValueError, match="not a valid CNPJ"):
        normalize_document("00.000.000/0000-00")
    assert normalize_document("00000000000191") == "00000000000191"


@pytest.mark.parametrize(
    "document",
    [
        "12.ABC.345/01DE\u201335",  # an en dash
        "".join(chr(0xFF10 + int(d)) for d in "52998224725"),  # fullwidth digits
        "12\u0131BC34501DE35",  # a dotless i, which upper-cases to "I"
        "12\u00dfC34501DE35",  # sharp s: "ß".upper() == "SS"
    ],
)
def test_non_ascii_characters_are_refused_not_guessed(document: str) -> None:
    with pytest.raises(ValueError, match=r"CPF|CNPJ"):
        normalize_document(document)


# -- the fast check equals python-stdnum ---------------------------------------------------------

CNPJ_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def cpfs(draw: st.DrawFn) -> str:
    """A CPF, valid or not: nine digits, then the right check digits or any two."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from("0123456789")) * 11
    base = draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    if draw(st.booleans()):
        return base + cpf_check_digits(base)
    return base + draw(digits) + draw(digits)


@st.composite
def cnpjs(draw: st.DrawFn) -> str:
    """A CNPJ, valid or not: twelve digits or letters (sometimes digits only, sometimes
    twelve zeros), then the right check digits, any two digits or any two characters."""
    alphabet = draw(st.sampled_from(["0123456789", CNPJ_CHARACTERS, "0"]))
    base = draw(st.text(alphabet=alphabet, min_size=12, max_size=12))
    tail = draw(st.integers(0, 2))
    if tail == 0:
        return base + stdnum_cnpj.calc_check_digits(base)
    if tail == 1:
        return base + draw(digits) + draw(digits)
    return base + draw(st.text(alphabet=CNPJ_CHARACTERS, min_size=2, max_size=2))


@given(st.one_of(cpfs(), cnpjs()))
@example("52998224725")
@example("11111111111")
@example("12ABC34501DE35")
@example("12ABC34501DE36")
@example("00000000000000")
def test_fast_check_equals_python_stdnum(compact: str) -> None:
    assert ours_valid(compact) is stdnum_valid(compact)
    if ours_valid(compact):
        assert normalize_document(compact) == compact


@given(st.text(alphabet=CNPJ_CHARACTERS + "abcxyz .-/", min_size=0, max_size=18))
def test_fast_check_equals_python_stdnum_on_any_text(text: str) -> None:
    compact = text.translate(str.maketrans("", "", " .-/")).upper()
    assert ours_valid(text) is stdnum_valid(compact)


@given(st.one_of(cpfs(), cnpjs()), st.lists(st.sampled_from(" .-/"), max_size=6), st.randoms())
def test_punctuation_and_case_do_not_change_the_verdict(
    compact: str, separators: list[str], rng: random.Random
) -> None:
    characters = list(compact.lower() if len(compact) == 14 else compact)
    for separator in separators:
        characters.insert(rng.randrange(len(characters) + 1), separator)
    formatted = "".join(characters)
    assert ours_valid(formatted) is ours_valid(compact)
    if ours_valid(compact):
        assert normalize_document(formatted) == compact
