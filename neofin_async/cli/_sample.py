"""Realistic, fictitious sample data: valid CPFs and CNPJs, real cities with UF, CEP and DDD."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .._fields import ADDRESS_FIELDS


@dataclass(frozen=True, slots=True)
class City:
    name: str
    uf: str
    ddd: int
    cep_first: int
    """First and last CEP of the city's range (8 digits as an integer)."""
    cep_last: int


# fmt: off
CITIES = (
    City("Rio Branco", "AC", 68, 69900001, 69923999),
    City("Maceió", "AL", 82, 57000001, 57099999),
    City("Macapá", "AP", 96, 68900001, 68911999),
    City("Manaus", "AM", 92, 69000001, 69099999),
    City("Salvador", "BA", 71, 40000001, 42599999),
    City("Feira de Santana", "BA", 75, 44000001, 44099999),
    City("Fortaleza", "CE", 85, 60000001, 61599999),
    City("Brasília", "DF", 61, 70000001, 72799999),
    City("Vitória", "ES", 27, 29000001, 29099999),
    City("Goiânia", "GO", 62, 74000001, 74899999),
    City("São Luís", "MA", 98, 65000001, 65109999),
    City("Cuiabá", "MT", 65, 78000001, 78109999),
    City("Campo Grande", "MS", 67, 79000001, 79124999),
    City("Belo Horizonte", "MG", 31, 30000001, 31999999),
    City("Uberlândia", "MG", 34, 38400001, 38415999),
    City("Belém", "PA", 91, 66000001, 66999999),
    City("João Pessoa", "PB", 83, 58000001, 58099999),
    City("Campina Grande", "PB", 83, 58400001, 58439999),
    City("Curitiba", "PR", 41, 80000001, 82999999),
    City("Londrina", "PR", 43, 86000001, 86099999),
    City("Recife", "PE", 81, 50000001, 52999999),
    City("Teresina", "PI", 86, 64000001, 64099999),
    City("Rio de Janeiro", "RJ", 21, 20000001, 23799999),
    City("Niterói", "RJ", 21, 24000001, 24399999),
    City("Natal", "RN", 84, 59000001, 59139999),
    City("Porto Alegre", "RS", 51, 90000001, 91999999),
    City("Caxias do Sul", "RS", 54, 95000001, 95124999),
    City("Porto Velho", "RO", 69, 76800001, 76834999),
    City("Boa Vista", "RR", 95, 69300001, 69339999),
    City("Florianópolis", "SC", 48, 88000001, 88099999),
    City("Joinville", "SC", 47, 89200001, 89239999),
    City("São Paulo", "SP", 11, 1000001, 5999999),
    City("Campinas", "SP", 19, 13000001, 13139999),
    City("Santos", "SP", 13, 11000001, 11099999),
    City("Ribeirão Preto", "SP", 16, 14000001, 14114999),
    City("Aracaju", "SE", 79, 49000001, 49098999),
    City("Palmas", "TO", 63, 77000001, 77249999),
)
FIRST_NAMES = (
    "Ana", "Beatriz", "Bruna", "Camila", "Carla", "Fernanda", "Gabriela", "Juliana", "Larissa",
    "Mariana", "Patrícia", "Renata", "Aline", "Letícia", "Daniela", "João", "Pedro", "Lucas",
    "Gabriel", "Rafael", "Gustavo", "Felipe", "Bruno", "Rodrigo", "Thiago", "Carlos", "Marcelo",
    "Eduardo", "André", "Vinícius", "José", "Antônio", "Francisco", "Paulo", "Luiz",
)
LAST_NAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Araújo",
)
COMPANY_KINDS = (
    "Comércio de Alimentos", "Materiais de Construção", "Distribuidora", "Serviços Contábeis",
    "Transportes", "Auto Peças", "Farmácia", "Papelaria", "Tecnologia", "Confecções", "Padaria",
)
COMPANY_SUFFIXES = ("Ltda", "ME", "EIRELI", "S.A.", "Ltda - EPP")
STREETS = (
    "Rua das Flores", "Avenida Brasil", "Rua XV de Novembro", "Rua Sete de Setembro",
    "Avenida Getúlio Vargas", "Rua Tiradentes", "Rua Dom Pedro II", "Avenida Santos Dumont",
    "Rua Barão do Rio Branco", "Rua São João", "Avenida Presidente Vargas", "Rua da Paz",
)
NEIGHBORHOODS = (
    "Centro", "Jardim América", "Vila Nova", "Boa Vista", "Santa Cruz", "São José",
    "Jardim Paulista", "Bela Vista", "Santo Antônio", "Industrial",
)
COMPLEMENTS = ("Apto 12", "Apto 301", "Sala 4", "Casa 2", "Bloco B", "Fundos", "Loja 1")
# fmt: on
SINGLE_TYPES = ("monthly", "custom")
EMAIL_DOMAIN = "example.com"
"""Reserved for examples (RFC 2606): nothing is ever delivered to a sample address."""

BILLING_COLUMNS = (
    "integration_identifier",
    "customer_integration_identifier",
    "customer_document",
    "customer_name",
    "customer_trade_name",
    "customer_mail",
    "customer_phone",
    *ADDRESS_FIELDS,
    "amount",
    "due_date",
    "installment_type",
    "installments",
    "type",
    "description",
    "nfe_number",
    "recipients",
    "by_mail",
    "by_whatsapp",
)
CUSTOMER_COLUMNS = (
    "integration_identifier",
    "document",
    "name",
    "trade_name",
    "mail",
    "phone",
    *ADDRESS_FIELDS,
    "recipients",
)


def cpf(rng: random.Random) -> str:
    """A random CPF with valid check digits (11 digits, not all equal)."""
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        if len(set(digits)) > 1:
            break
    for weight in (10, 11):
        total = sum(d * (weight - i) for i, d in enumerate(digits))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def cnpj(rng: random.Random) -> str:
    """A random CNPJ of a head office (`/0001`) with valid check digits."""
    digits = [rng.randrange(10) for _ in range(8)] + [0, 0, 0, 1]
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if remainder < 2 else 11 - remainder)
    return "".join(map(str, digits))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(part for part in ascii_text.lower().replace("-", " ").split() if part.isalnum())


def customer(rng: random.Random, number: int) -> dict[str, Any]:
    """One fictitious customer: a person (CPF) or, one time in three, a company (CNPJ)."""
    city = rng.choice(CITIES)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if rng.random() < 1 / 3:
        document = cnpj(rng)
        name = f"{last} {rng.choice(COMPANY_KINDS)} {rng.choice(COMPANY_SUFFIXES)}"
        trade_name: str | None = f"{rng.choice(COMPANY_KINDS)} {last}"
        mail = f"financeiro@{_slug(last)}{number}.{EMAIL_DOMAIN}"
    else:
        document = cpf(rng)
        name = f"{first} {rng.choice(LAST_NAMES)} {last}"
        trade_name = None
        mail = f"{_slug(first)}.{_slug(last)}{number}@{EMAIL_DOMAIN}"
    cep = f"{rng.randint(city.cep_first, city.cep_last):08d}"
    return {
        "integration_identifier": f"CLI-{number:06d}",
        "document": document,
        "name": name,
        "trade_name": trade_name,
        "mail": mail,
        "phone": f"+55{city.ddd}9{rng.randint(6000, 9999)}{rng.randint(0, 9999):04d}",
        "address_street": rng.choice(STREETS),
        "address_number": str(rng.randint(1, 3999)),
        "address_complement": rng.choice(COMPLEMENTS) if rng.random() < 0.3 else None,
        "address_neighborhood": rng.choice(NEIGHBORHOODS),
        "address_city": city.name,
        "address_state": city.uf,
        "address_zip_code": f"{cep[:5]}-{cep[5:]}",
        "recipients": [f"contas@{_slug(last)}{number}.{EMAIL_DOMAIN}"]
        if trade_name and rng.random() < 0.5
        else None,
    }


def customers(count: int, seed: int | None = None) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield customer(rng, number)


CUSTOMER_WINDOW = 1_000
"""Customers a billing may belong to at any point of the output: memory stays flat."""


def billings(
    count: int, seed: int | None = None, today: date | None = None
) -> Iterator[dict[str, Any]]:
    """`count` billings of `count / 3` customers, due 3 to 120 days after `today`, made one at
    a time: customers are introduced as the output goes, each billing belonging to one of the
    last `CUSTOMER_WINDOW` introduced (an export of a million rows never sits in memory)."""
    rng = random.Random(seed)
    people = random.Random(rng.random())
    today = today or date.today()
    pool_size = max(1, count // 3)
    pool: dict[int, dict[str, Any]] = {}
    made = 0
    for number in range(1, count + 1):
        newest = -(-number * pool_size // count)  # ceil: every customer made by the end
        while made < newest:
            made += 1
            pool[made] = customer(people, made)
            pool.pop(made - CUSTOMER_WINDOW, None)
        client = pool[rng.randint(max(1, newest - CUSTOMER_WINDOW + 1), newest)]
        yield _billing(rng, number, client, today)


def _billing(
    rng: random.Random, number: int, client: dict[str, Any], today: date
) -> dict[str, Any]:
    installments = rng.choice((1, 1, 1, 2, 3, 6, 12))
    order = rng.randint(10_000, 99_999)
    return {
        "integration_identifier": f"ERP-{number:06d}",
        "customer_integration_identifier": client["integration_identifier"],
        "customer_document": client["document"],
        "customer_name": client["name"],
        "customer_trade_name": client["trade_name"],
        "customer_mail": client["mail"],
        "customer_phone": client["phone"],
        "address_street": client["address_street"],
        "address_number": client["address_number"],
        "address_complement": client["address_complement"],
        "address_neighborhood": client["address_neighborhood"],
        "address_city": client["address_city"],
        "address_state": client["address_state"],
        "address_zip_code": client["address_zip_code"],
        "amount": rng.randint(20, 5_000) * 100 + rng.choice((0, 0, 50, 90, rng.randint(1, 99))),
        "due_date": (today + timedelta(days=rng.randint(3, 120))).isoformat(),
        "installment_type": "monthly" if installments > 1 else rng.choice(SINGLE_TYPES),
        "installments": installments,
        "type": rng.choice(("bolepix", "bolepix", "boleto", "pix")),
        "description": f"Pedido {order}"
        + (f" em {installments} parcelas" if installments > 1 else ""),
        "nfe_number": f"{rng.randint(1, 999_999):09d}" if rng.random() < 0.6 else None,
        "recipients": client["recipients"],
        "by_mail": False,
        "by_whatsapp": False,
    }
