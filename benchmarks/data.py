"""Benchmark input: realistic, valid billings as plain dicts, from a generator."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

CHUNK = 50
_CITIES = [
    ("São Paulo", "SP", "01405-000"),
    ("Curitiba", "PR", "80010-000"),
    ("Recife", "PE", "50010-000"),
]


def _check_digit(values: list[int], weights: range | list[int]) -> int:
    return (11 - sum(w * v for w, v in zip(weights, values, strict=False))) % 11 % 10


def cnpj(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(8)] + [0, 0, 0, 1]
    digits.append(_check_digit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    digits.append(_check_digit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    return "".join(map(str, digits))


def cpf(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(9)]
    digits.append(_check_digit(digits, range(10, 1, -1)))
    digits.append(_check_digit(digits, range(11, 1, -1)))
    return "".join(map(str, digits))


_rng = random.Random(7)
DOCUMENTS = [cnpj(_rng) if i % 3 == 0 else cpf(_rng) for i in range(997)]


def billing(i: int) -> dict[str, Any]:
    """Billing number `i`: 16 fields, the 9 required ones plus a customer and an address."""
    city, state, zip_code = _CITIES[i % len(_CITIES)]
    return {
        "integration_identifier": f"bench-{i:08d}",
        "customer_document": DOCUMENTS[i % len(DOCUMENTS)],
        "amount": 10_000 + i % 90_000,
        "due_date": 1_767_225_600 + (i % 365) * 86_400,
        "installment_type": "monthly",
        "installments": 1,
        "type": "bolepix",
        "by_mail": False,
        "by_whatsapp": True,
        "customer_name": f"Cliente {i % 997}",
        "customer_mail": f"cliente{i % 997}@example.com.br",
        "customer_phone": f"1198765{i % 10_000:04d}",
        "address_city": city,
        "address_state": state,
        "address_zip_code": zip_code,
        "description": "Mensalidade",
    }


def distinct_billing(i: int) -> dict[str, Any]:
    """Billing number `i` with a document of its own, as in an export of one-off customers
    (the customer caches of validation do not help)."""
    item = billing(i)
    rng = random.Random(i)
    item["customer_document"] = cnpj(rng) if i % 3 == 0 else cpf(rng)
    return item


def billings(n: int) -> Iterator[dict[str, Any]]:
    """`n` billings, made one at a time (nothing held in memory)."""
    return (billing(i) for i in range(n))


def next_night(n: int, changed_every: int) -> Iterator[dict[str, Any]]:
    """The same `n` billings a night later: one in `changed_every` has a new amount."""
    for i in range(n):
        item = billing(i)
        if i % changed_every == changed_every // 2:
            item["amount"] += 1
        yield item
