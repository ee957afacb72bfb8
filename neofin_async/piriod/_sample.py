"""Fictitious Piriod customers from Chile and Mexico: valid RUTs and RFCs, real states."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stdnum.cl import rut
from stdnum.mx import rfc

from ._constants import EMAIL_DOMAIN


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str
    zip_first: int
    zip_last: int
    area_code: str


# fmt: off
CL_CITIES = (
    City("Santiago", "CLRM", 8320000, 8320999, "2"),
    City("Providencia", "CLRM", 7500000, 7500999, "2"),
    City("Valparaíso", "CLVS", 2340000, 2340999, "32"),
    City("Viña del Mar", "CLVS", 2520000, 2520999, "32"),
    City("Concepción", "CLBI", 4030000, 4030999, "41"),
    City("Antofagasta", "CLAN", 1240000, 1240999, "55"),
    City("La Serena", "CLCO", 1700000, 1700999, "51"),
    City("Temuco", "CLAR", 4780000, 4780999, "45"),
    City("Puerto Montt", "CLLL", 5480000, 5480999, "65"),
)
MX_CITIES = (
    City("Ciudad de México", "MXCMX", 1000, 16999, "55"),
    City("Guadalajara", "MXJAL", 44100, 44990, "33"),
    City("Monterrey", "MXNLE", 64000, 64990, "81"),
    City("Puebla", "MXPUE", 72000, 72990, "222"),
    City("Querétaro", "MXQUE", 76000, 76240, "442"),
    City("Mérida", "MXYUC", 97000, 97390, "999"),
    City("Tijuana", "MXBCN", 22000, 22720, "664"),
)
CL_ACTIVITIES = (
    "Venta al por mayor de alimentos", "Servicios de ingeniería", "Transporte de carga",
    "Asesorías contables", "Comercialización de productos", "Desarrollo de software",
    "Construcción de obras menores", "Venta de repuestos automotrices",
)
CL_SUFFIXES = ("SpA", "Ltda.", "S.A.", "EIRL")
MX_SUFFIXES = ("S.A. de C.V.", "S. de R.L. de C.V.", "S.C.")
FIRST_NAMES = (
    "Camila", "Valentina", "Javiera", "Francisca", "Sofía", "Fernanda", "Ximena", "Lucía",
    "Matías", "Benjamín", "Vicente", "Tomás", "Diego", "Joaquín", "Alejandro", "Santiago",
)
LAST_NAMES = (
    "González", "Muñoz", "Rojas", "Díaz", "Pérez", "Soto", "Contreras", "Silva", "Martínez",
    "Sepúlveda", "Hernández", "García", "López", "Ramírez", "Flores", "Torres", "Vargas",
)
TRADES = (
    "Comercial", "Distribuidora", "Constructora", "Servicios", "Transportes", "Inversiones",
    "Tecnologías", "Importadora", "Alimentos", "Consultores",
)
PLACES = (
    "Los Andes", "del Pacífico", "Austral", "Norte Grande", "del Valle", "La Frontera",
    "Andina", "del Sur", "Central", "Altiplano",
)
CL_STREETS = (
    "Av. Providencia", "Av. Libertador Bernardo O'Higgins", "Calle Moneda", "Av. Apoquindo",
    "Av. Vicuña Mackenna", "Calle Prat", "Av. Pedro de Valdivia",
)
MX_STREETS = (
    "Av. Reforma", "Calle Madero", "Av. Insurgentes Sur", "Av. Juárez", "Calle Hidalgo",
    "Av. Constitución", "Calle Morelos",
)
# fmt: on
MX_PERSON_SCHEMES = ("605", "612", "626")

CUSTOMER_COLUMNS = (
    "reference",
    "name",
    "tax_id",
    "email",
    "phone",
    "address",
    "zip_code",
    "country",
    "state",
    "currency",
    "website",
    "tax_settings.cl_activity_description",
    "tax_settings.mx_tax_scheme",
    "metadata.segment",
    "send_invoices",
)
"""CSV columns of a Piriod customer file; dotted names fill `tax_settings` and `metadata`."""


def chilean_rut(rng: random.Random, company: bool) -> str:
    """A RUT with a valid check digit: companies from 76 million, people 8 to 25 million."""
    body = rng.randint(76_000_000, 77_999_999) if company else rng.randint(8_000_000, 25_999_999)
    number = str(body)
    return rut.format(number + rut.calc_check_digit(number))


def mexican_rfc(rng: random.Random, company: bool, letters: str) -> str:
    """An RFC with a plausible date and a valid check digit (12 characters for a company,
    13 for a person). A person's four letters that spell a word SAT never issues end in X,
    as SAT does."""
    year, month, day = rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28)
    homoclave = rng.choice("123456789ABCDEFGHJKLMNPRSTUV") + rng.choice(
        "123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    )
    for initials in (letters[: 3 if company else 4], letters[:3] + "X"):
        base = f"{initials}{year % 100:02d}{month:02d}{day:02d}{homoclave}"
        number = base + rfc.calc_check_digit(base)
        if rfc.is_valid(number, validate_check_digits=True):
            return number
    raise AssertionError(f"no valid RFC for {letters!r}")  # pragma: no cover


def _letters(*words: str) -> str:
    ascii_words = [w.upper().translate(_PLAIN) for w in words if w[:1].isalpha()]
    letters = "".join(w[0] for w in ascii_words)
    return (letters + "XXXX")[:4]


_PLAIN = str.maketrans("ÁÉÍÓÚÜÑ", "AEIOUUN")


def _slug(text: str) -> str:
    return "".join(ch for ch in text.upper().translate(_PLAIN).lower() if ch.isalnum())


def customer(rng: random.Random, number: int) -> dict[str, Any]:
    """One fictitious customer: Chilean (three in five) or Mexican; a company or a person."""
    chilean = rng.random() < 0.6
    company = rng.random() < 0.7
    first, last, other = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(LAST_NAMES)
    city = rng.choice(CL_CITIES if chilean else MX_CITIES)
    if company:
        trade, place = rng.choice(TRADES), rng.choice(PLACES)
        name = f"{trade} {place} {rng.choice(CL_SUFFIXES if chilean else MX_SUFFIXES)}"
        email = f"facturacion@{_slug(trade + place)}{number}.{EMAIL_DOMAIN}"
        letters = _letters(trade, *place.split())
        website = f"https://{_slug(trade + place)}.{EMAIL_DOMAIN}"
    else:
        name = f"{first} {last} {other}"
        email = f"{_slug(first)}.{_slug(last)}{number}@{EMAIL_DOMAIN}"
        letters = (last[:2] + other[:1] + first[:1]).upper().translate(_PLAIN)
        website = None
    zip_code = rng.randint(city.zip_first, city.zip_last)
    street = rng.choice(CL_STREETS if chilean else MX_STREETS)
    digits = 10 - len(city.area_code)  # Mexican numbers: 10 digits with the area code
    subscriber = f"{rng.randint(10 ** (digits - 1), 10**digits - 1)}"
    record: dict[str, Any] = {
        "reference": f"ERP-{number:06d}",
        "name": name,
        "email": email,
        "address": f"{street} {rng.randint(1, 4999)}, {city.name}",
        "country": "CL" if chilean else "MX",
        "state": city.state,
        "send_invoices": True,
        "metadata": {"segment": rng.choice(("retail", "wholesale", "services"))},
    }
    if chilean:
        record |= {
            "tax_id": chilean_rut(rng, company),
            "phone": f"+569{rng.randint(10_000_000, 99_999_999)}",
            "zip_code": f"{zip_code:07d}",
            "currency": "CLP",
            "tax_settings": {"cl_activity_description": rng.choice(CL_ACTIVITIES)},
        }
    else:
        record |= {
            "tax_id": mexican_rfc(rng, company, letters),
            "phone": f"+52{city.area_code}{subscriber}",
            "zip_code": f"{zip_code:05d}",
            "currency": "MXN",
            "tax_settings": {"mx_tax_scheme": "601" if company else rng.choice(MX_PERSON_SCHEMES)},
        }
    if website and rng.random() < 0.4:
        record["website"] = website
    return record


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """A customer with `tax_settings` and `metadata` spread into dotted keys (a CSV row)."""
    row = {k: v for k, v in record.items() if k not in ("tax_settings", "metadata")}
    for key in ("tax_settings", "metadata"):
        for name, value in (record.get(key) or {}).items():
            row[f"{key}.{name}"] = value
    return row


def sample_customers(count: int, seed: int | None = None) -> Iterator[dict[str, Any]]:
    """`count` valid fictitious customers (`reference` `ERP-000001`...), the same for a seed.

    Nested dicts, ready for `customers.bulk_upsert`; `flat(record)` gives the CSV row of
    `CUSTOMER_COLUMNS`."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield customer(rng, number)
