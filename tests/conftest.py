"""Shared fixtures: a client wired to respx, keys that must never leak, a recording sleep."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.lowlevel
import pytest
import respx

import neofin_async as nf

API_KEY = "ak-live-7f3c9e1d5b8a4c2e"
SECRET_KEY = "sk-live-0d9b8a7c6e5f4a3b"
BASE_URL = "https://api.sandbox.neofin.services"
PRODUCTION_URL = "https://api.neofin.services"

VALID_CPF = "52998224725"
VALID_CNPJ = "51491769000190"


def cpf_check_digits(base: str) -> str:
    """The two CPF check digits of nine digits."""
    digits = [int(c) for c in base]
    for weight in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight, 1, -1), strict=False))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(str(d) for d in digits[-2:])


def billing_item(**overrides: Any) -> dict[str, Any]:
    """A valid billing, as a plain dict."""
    item: dict[str, Any] = {
        "integration_identifier": "order-1",
        "customer_document": VALID_CNPJ,
        "amount": 15000,
        "due_date": 1678316400,
        "installment_type": "monthly",
        "installments": 1,
        "type": "bolepix",
    }
    item.update(overrides)
    return item


def customer_item(**overrides: Any) -> dict[str, Any]:
    """A valid customer, as a plain dict."""
    item: dict[str, Any] = {"document": VALID_CPF, "integration_identifier": "cust-1"}
    item.update(overrides)
    return item


class Ticks:
    """How often a background task got to run: `tg.start_soon(ticks.run)`, then `ticks.count`
    says whether the loop stayed responsive meanwhile."""

    def __init__(self) -> None:
        self.count = 0

    async def run(self) -> None:
        while True:
            self.count += 1
            await anyio.lowlevel.checkpoint()


class Sleeps(list[float]):
    """An injectable sleep that records the waits instead of sleeping."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "NEOFIN_API_KEY",
        "NEOFIN_SECRET_KEY",
        "NEOFIN_ENVIRONMENT",
        "NEOFIN_BASE_URL",
        "NEOFIN_LOG",
        "NEOFIN_HTTP_BACKEND",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> nf.RetryPolicy:
    return nf.RetryPolicy(sleep=sleeps)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def client(api: respx.MockRouter, policy: nf.RetryPolicy) -> AsyncIterator[nf.NeofinClient]:
    async with nf.NeofinClient(API_KEY, SECRET_KEY, retry_policy=policy) as c:
        yield c


@pytest.fixture
def reset_logger() -> Iterator[logging.Logger]:
    """Undo whatever `NEOFIN_LOG` set up on the `neofin_async` logger."""
    logger = logging.getLogger("neofin_async")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    for handler in logger.handlers:
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)
    if hasattr(logger, "_neofin_configured"):
        del logger._neofin_configured


# -- real services: PostgreSQL, Redis, RabbitMQ ---------------------------------------------

SERVICES = {  # name: (variable overriding the URL, default URL)
    "postgres": ("NEOFIN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"),
    "redis": ("NEOFIN_TEST_REDIS", "redis://127.0.0.1:6379/0"),
    "rabbitmq": ("NEOFIN_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672//"),
}


def service_url(name: str) -> str:
    """A local service's URL. Not reachable: the test is skipped, or fails where
    NEOFIN_REQUIRE_SERVICES=1 (CI), so CI cannot pass by skipping."""
    variable, default = SERVICES[name]
    url = os.environ.get(variable, default)
    where = urlsplit(url)
    try:
        socket.create_connection((where.hostname, where.port), timeout=3).close()
    except OSError as exc:
        reason = f"{name} is not reachable at {where.hostname}:{where.port} ({exc}); set {variable}"
        if os.environ.get("NEOFIN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (NEOFIN_REQUIRE_SERVICES=1 requires it)", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A DSN whose tables go to a fresh schema, dropped after the test."""
    import psycopg

    url = service_url("postgres")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    yield f"{url}?options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")
