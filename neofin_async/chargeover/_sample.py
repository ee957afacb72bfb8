"""Fictitious ChargeOver customers for demos, the CLI and benchmarks, and the mapping from an
ERP's Neofin-shaped customer row.

Samples are mostly US subscribers, with Chilean, Mexican, Colombian and Brazilian companies
whose tax ids pass python-stdnum (RUT, RFC with valid check digit, NIT, CNPJ).
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator, Mapping
from typing import Any

from stdnum.br import cnpj
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.mx import rfc

EMAIL_DOMAIN = "example.com"
"""Reserved for examples (RFC 2606): nothing is ever delivered to a sample address."""

CUSTOMER_COLUMNS = (
    "external_key",
    "company",
    "superuser_name",
    "superuser_first_name",
    "superuser_last_name",
    "superuser_email",
    "superuser_phone",
    "bill_addr1",
    "bill_addr2",
    "bill_city",
    "bill_state",
    "bill_postcode",
    "bill_country",
    "tax_ident",
    "invoice_delivery",
    "custom_1",
)
"""The columns of `sample_customers` (and of a CSV for `upsert customers --provider
chargeover`), in the order of ChargeOver's field list."""

# fmt: off
_PLACES = (  # (country as ChargeOver shows it, city, state, postcode pattern, phone prefix)
    ("United States", "Minneapolis", "MN", "554##", "+1 612 555 "),
    ("United States", "Hartford", "CT", "061##", "+1 860 555 "),
    ("United States", "Austin", "TX", "787##", "+1 512 555 "),
    ("United States", "Denver", "CO", "802##", "+1 303 555 "),
    ("United States", "Portland", "OR", "972##", "+1 503 555 "),
    ("United States", "Raleigh", "NC", "276##", "+1 919 555 "),
    ("Chile", "Santiago", "RM", "83#####", "+56 2 2"),
    ("Mexico", "Ciudad de México", "CDMX", "06###", "+52 55 "),
    ("Colombia", "Bogotá", "DC", "1100##", "+57 601 "),
    ("Brazil", "São Paulo", "SP", "01###-###", "+55 11 "),
)
_FIRST = ("Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Sam", "Jamie", "Avery",
          "Quinn", "María", "José", "Camila", "Diego", "Lucía", "Mateo")
_LAST = ("Smith", "Johnson", "Brown", "Miller", "Davis", "Garcia", "Martinez", "Lopez",
         "Wilson", "Anderson", "Rojas", "Hernández", "Pereira", "Gómez")
_KINDS = ("Widgets", "Analytics", "Logistics", "Dental", "Bakery", "Consulting", "Software",
          "Fitness", "Printing", "Solar")
_SUFFIX = {"United States": ("Inc.", "LLC", "Co."), "Chile": ("SpA", "Ltda."),
           "Mexico": ("S.A. de C.V.",), "Colombia": ("S.A.S.",), "Brazil": ("Ltda",)}
_STREETS = ("Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Park Road", "Elm Street")
# fmt: on


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _pattern(rng: random.Random, pattern: str) -> str:
    return "".join(rng.choice(string.digits) if c == "#" else c for c in pattern)


def tax_id(rng: random.Random, country: str) -> str | None:
    """A valid fictitious company tax id for `country` (None for the United States)."""
    if country == "Chile":
        body = str(rng.randint(76_000_000, 77_999_999))
        return rut.format(body + rut.calc_check_digit(body))
    if country == "Mexico":
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
        date = f"{rng.randint(0, 23):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        stem = letters + date + rng.choice("123456789ABCDEFGHJKLMN") + rng.choice("123456789")
        return stem + rfc.calc_check_digit(stem)
    if country == "Colombia":
        body = _digits(rng, 9)
        return nit.format(body + nit.calc_check_digit(body))
    if country == "Brazil":
        body = _digits(rng, 8) + "0001"
        return cnpj.format(body + cnpj.calc_check_digits(body))
    return None


def sample_customer(rng: random.Random, number: int) -> dict[str, Any]:
    """One fictitious customer, keyed `CO-<number>`."""
    country, city, state, postcode, phone = rng.choice(_PLACES)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    company = f"{last} {rng.choice(_KINDS)} {rng.choice(_SUFFIX[country])}"
    slug = "".join(c for c in last.lower() if c.isascii() and c.isalpha())
    return {
        "external_key": f"CO-{number:06d}",
        "company": company,
        "superuser_name": f"{first} {last}",
        "superuser_first_name": first,
        "superuser_last_name": last,
        "superuser_email": f"billing+{number}@{slug}.{EMAIL_DOMAIN}",
        "superuser_phone": phone + _digits(rng, 4),
        "bill_addr1": f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
        "bill_addr2": f"Suite {rng.randint(100, 999)}" if rng.random() < 0.3 else None,
        "bill_city": city,
        "bill_state": state,
        "bill_postcode": _pattern(rng, postcode),
        "bill_country": country,
        "tax_ident": tax_id(rng, country),
        "invoice_delivery": rng.choice(("email", "email", "email", "print")),
        "custom_1": f"ERP-{rng.randint(10_000, 99_999)}",
    }


def sample_customers(count: int, seed: int | None = None) -> Iterator[dict[str, Any]]:
    """`count` valid fictitious customers (dicts for `CustomerInput`), the same for a seed."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield sample_customer(rng, number)


def from_neofin_row(row: Mapping[str, Any], *, country: str = "Brazil") -> dict[str, Any]:
    """A ChargeOver customer from an ERP row in Neofin's customer columns
    (`integration_identifier`, `document`, `name`, `mail`, `phone`, `address_*`), so one
    export can go to either system: the identifier becomes `external_key`, the document
    `tax_ident` (checked as a CPF/CNPJ for Brazil), the address the billing address."""
    street = " ".join(
        str(part) for part in (row.get("address_street"), row.get("address_number")) if part
    )
    mapped = {
        "external_key": row.get("integration_identifier"),
        "company": row.get("name") or row.get("trade_name"),
        "superuser_name": row.get("name"),
        "superuser_email": row.get("mail"),
        "superuser_phone": row.get("phone"),
        "bill_addr1": street or None,
        "bill_addr2": row.get("address_complement"),
        "bill_addr3": row.get("address_neighborhood"),
        "bill_city": row.get("address_city"),
        "bill_state": row.get("address_state"),
        "bill_postcode": row.get("address_zip_code"),
        "bill_country": country,
        "tax_ident": row.get("document"),
    }
    return {field: value for field, value in mapped.items() if value not in (None, "")}
