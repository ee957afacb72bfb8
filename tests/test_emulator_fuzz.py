"""Seeded fuzzing of the served Neofin emulator over a real socket: malformed JSON, wrong types,
extreme values, unicode and path tricks. Every answer is < 500 and valid JSON; memory stays
bounded; no internal error is recorded."""

from __future__ import annotations

import http.client
import json
import random
import tracemalloc
from typing import Any
from urllib.parse import quote

from neofin_async._constants import MAX_REQUEST_BYTES
from neofin_async.emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Emulator
from neofin_async.emulator._api import ROUTES

SEED = 20_240_611
REQUESTS = 1_500
CNPJ = "51491769000190"
KEYS = {"api-key": DEFAULT_API_KEY, "secret-key": DEFAULT_SECRET_KEY}

SCALARS: list[Any] = [
    None, True, False, 0, -1, 1, 2**31, 2**53, 2**63, 10**400, -(10**400), 0.5, -0.0, 1e308,
    "", " ", "0", "abc", "é" * 3, "\u202eRTL", "😀" * 10, "\x00", "\ud800", "a" * 20_000,
    "2025-01-01", "9999-12-31", "0000-00-00", "1e400", "NaN", CNPJ, "111.111.111-11",
    "pending", "monthly", "pix", "https://example.com/hook", "SP", "../../etc/passwd",
]  # fmt: skip
RAW_TOKENS = [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"1" * 5_000]
PATH_TRICKS = [
    "x", "%00", "%2e%2e", "..", "%2F", "%ZZ", "%C3%A9", "%C0%AF", "%ff%fe", "a" * 5_000,
    "", "%20", "1" * 14, CNPJ, "51.491.769/0001-90", "-1", "99999999999999999999999999",
    "paid", "status", "%F0%9F%98%80", "%ED%A0%80",
]  # fmt: skip
QUERIES = [
    "", "next_page_token=", "next_page_token=%%%", "next_page_token=" + "A" * 3_000,
    "next_page_token=YmlsbGluZ3wxMDAwMDAwMDAwMDAwMDAwMDAwMDAw",
    "start_datetime=9999-12-31T23:59:59-23:59", "start_datetime=0001-01-01",
    "start_datetime=%2B10000-01-01", "end_datetime=2025-13-45T99:99:99Z",
    "start_paid_at_date=0000-00-00", "start_paid_at_date=9999-12-31&end_paid_at_date=0001-01-01",
    "start_datetime=" + "9" * 5_000,
]  # fmt: skip
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def valid_billing(rng: random.Random) -> dict[str, Any]:
    return {
        "integration_identifier": f"fz-{rng.randrange(50)}",
        "customer_document": CNPJ,
        "amount": rng.randrange(1, 10**6),
        "due_date": 1_700_000_000 + rng.randrange(10**7),
        "installment_type": rng.choice(["weekly", "biweekly", "monthly", "custom"]),
        "installments": rng.randrange(1, 13),
        "type": rng.choice(["generic", "bolepix", "boleto", "pix"]),
        "by_mail": False,
        "by_whatsapp": True,
    }


def nested(rng: random.Random, depth: int) -> Any:
    value: Any = rng.choice(SCALARS[:20])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def mutate(rng: random.Random, item: dict[str, Any]) -> dict[str, Any]:
    for _ in range(rng.randrange(1, 4)):
        field = rng.choice([*item, "fees", "fine", "boleto", "recipients", "installments_data"])
        roll = rng.random()
        if roll < 0.6:
            item[field] = rng.choice(SCALARS)
        elif roll < 0.8:
            item[field] = nested(rng, rng.randrange(1, 40))
        elif roll < 0.9:
            item.pop(field, None)
        else:
            item[field] = [rng.choice(SCALARS) for _ in range(rng.randrange(5))]
    return item


def body(rng: random.Random, key: str) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return rng.randbytes(rng.randrange(200))
    if roll < 0.15:
        return b"[" * rng.choice([10, 1_000, 100_000])
    if roll < 0.2:
        return json.dumps(nested(rng, rng.randrange(20, 60))).encode()
    if roll < 0.25:
        return json.dumps(rng.choice(SCALARS)).encode()
    items: list[Any] = []
    for _ in range(rng.choice([0, 1, 2, 5, 50, 51])):
        item = valid_billing(rng) if key == "billings" else {"document": CNPJ}
        items.append(mutate(rng, item) if rng.random() < 0.7 else item)
    data: dict[str, Any] = {key: items}
    if rng.random() < 0.2:
        data = mutate(rng, {**data, "paid_amount": 1, "files": [], "nf_file": "", "topic": ""})
    text = json.dumps(data, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if rng.random() < 0.15:  # a bare token JSON refuses but Python's json reads
        text = text.replace(b"false", rng.choice(RAW_TOKENS), 1)
    if rng.random() < 0.05:
        text = text[: rng.randrange(len(text) + 1)]  # truncated
    return text


def request(rng: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
    method, template, _ = rng.choice(ROUTES)
    if rng.random() < 0.1:
        method = rng.choice(METHODS)
    segments = []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{"):
            scalar = str(rng.choice(SCALARS)).encode("utf-8", "surrogatepass")
            segment = rng.choice(PATH_TRICKS) if rng.random() < 0.8 else quote(scalar, safe="")
        segments.append(segment)
    path = "/" + "/".join(segments) + ("/" if template.endswith("/") else "")
    if rng.random() < 0.05:
        path = rng.choice(["//billing//", "/billing/../customer/", "/%62illing/", "/" + "b/" * 200])
    query = rng.choice(QUERIES) if rng.random() < 0.4 else ""
    target = path + ("?" + query if query else "")
    key = "customers" if "customer" in template else "billings"
    content = body(rng, key) if method in ("POST", "PUT", "PATCH") else b""
    headers = dict(KEYS) if rng.random() < 0.95 else {"api-key": "wrong", "secret-key": ""}
    headers["content-type"] = "application/json"
    return method, target, content, headers


def test_fuzzed_requests_over_a_socket_never_get_a_5xx() -> None:
    rng = random.Random(SEED)
    emulator = Emulator(seed=SEED, page_size=5)
    statuses: dict[int, int] = {}
    tracemalloc.start()
    try:
        with emulator.serving() as server:
            host, port = server.host, server.port
            connection = http.client.HTTPConnection(host, port, timeout=10)
            for n in range(REQUESTS):
                method, target, content, headers = request(rng)
                if n == REQUESTS // 2:
                    method, target, content = "POST", "/billing/", b" " * (MAX_REQUEST_BYTES + 1)
                try:
                    connection.request(method, target, body=content, headers=headers)
                    answer = connection.getresponse()
                    raw = answer.read()
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    connection.close()  # the server closed after an answer; reconnect
                    connection = http.client.HTTPConnection(host, port, timeout=10)
                    connection.request(method, target, body=content, headers=headers)
                    answer = connection.getresponse()
                    raw = answer.read()
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                assert answer.status < 500, (method, target[:200], content[:300], raw[:300])
                json.loads(raw, parse_constant=_not_json)
            connection.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not emulator.errors, emulator.errors
    assert peak < 120 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert {200, 202, 400, 403, 404, 413} <= set(statuses), statuses


def _not_json(token: str) -> Any:
    raise AssertionError(f"{token} is not JSON")
