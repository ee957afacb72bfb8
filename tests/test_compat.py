"""ISO-8601 date-times parse the same on every supported Python (3.10 lacks 3.11's forms)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import billing_item

import neofin_async as nf
from neofin_async._compat import fromisoformat

UTC = timezone.utc
BRT = timezone(timedelta(hours=-3))
IST = timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-01T10:30:15Z", datetime(2025, 1, 1, 10, 30, 15, tzinfo=UTC)),
        ("2025-01-01 10:30:15+00:00", datetime(2025, 1, 1, 10, 30, 15, tzinfo=UTC)),
        ("2025-01-01T10:30Z", datetime(2025, 1, 1, 10, 30, tzinfo=UTC)),
        ("2025-01-01T10Z", datetime(2025, 1, 1, 10, tzinfo=UTC)),
        ("2025-01-01T10:30:15.8Z", datetime(2025, 1, 1, 10, 30, 15, 800000, tzinfo=UTC)),
        ("2025-01-01T10:30:15.84Z", datetime(2025, 1, 1, 10, 30, 15, 840000, tzinfo=UTC)),
        ("2025-01-01T10:30:15,844Z", datetime(2025, 1, 1, 10, 30, 15, 844000, tzinfo=UTC)),
        ("2025-01-01T10:30:15.1234567Z", datetime(2025, 1, 1, 10, 30, 15, 123456, tzinfo=UTC)),
        ("2025-01-01T10:30:15.123456789", datetime(2025, 1, 1, 10, 30, 15, 123456)),
        ("2025-01-01T10:30:15-03", datetime(2025, 1, 1, 10, 30, 15, tzinfo=BRT)),
        ("2025-01-01T10:30:15-0300", datetime(2025, 1, 1, 10, 30, 15, tzinfo=BRT)),
        ("2025-01-01T10:30:15.5+05:30", datetime(2025, 1, 1, 10, 30, 15, 500000, tzinfo=IST)),
        ("2025-01-01", datetime(2025, 1, 1)),
    ],
)
def test_rfc3339_forms(text: str, expected: datetime) -> None:
    parsed = fromisoformat(text)
    assert parsed == expected
    assert parsed.tzinfo == expected.tzinfo  # a plain `timezone`, not some other tzinfo class


@pytest.mark.parametrize(
    "text",
    ["2025-01-01T24:00:00Z", "2025-01-01T10:30:15z", "2025-01-01T10:3"],
)
def test_still_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        fromisoformat(text)


def test_models_take_a_z_offset_and_any_fraction() -> None:
    item = billing_item(due_date="2025-01-01T00:00:00Z")
    assert nf.BillingInput.model_validate(item).due_date == 1735689600
    billing = nf.Billing.model_validate({"updated_at": "2025-01-01T00:00:00.8Z"})
    assert billing.updated_at == datetime(2025, 1, 1, 0, 0, 0, 800000, tzinfo=UTC)
