"""The emulator's OpenAPI description: current, and honoured by the served emulator
(schemathesis generates requests from it; every answer must be documented and conform)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from neofin_async.emulator import (
    DEFAULT_API_KEY,
    DEFAULT_SECRET_KEY,
    Emulator,
    EmulatorServer,
    _openapi,
)
from neofin_async.emulator._cli import openapi

KEYS = {"api-key": DEFAULT_API_KEY, "secret-key": DEFAULT_SECRET_KEY}


def test_the_packaged_file_is_the_generated_document() -> None:
    assert openapi() == _openapi.dumps(), "run: python -m neofin_async.emulator._openapi --write"
    assert json.loads(openapi())["openapi"] == "3.1.0"


@pytest.fixture(scope="module")
def served() -> Iterator[EmulatorServer]:
    with Emulator(seed=1).serving() as server:
        yield server


schema = schemathesis.openapi.from_dict(_openapi.document())


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_served_emulator_answers_as_described(
    case: schemathesis.Case[Any], served: EmulatorServer
) -> None:
    case.call_and_validate(
        base_url=served.base_url,
        headers=KEYS,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
