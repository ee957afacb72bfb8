"""The Piriod emulator over raw HTTP: auth, workspaces, test mode, the documented status codes
and bodies, pagination, filters, its knobs; served over a socket too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import neofin_async as nf
from neofin_async._emulation import IN_PROCESS_BASE_URL, ManualClock
from neofin_async.piriod import REFERENCE_METADATA_KEY, PiriodClient
from neofin_async.piriod.emulator import DEFAULT_API_TOKEN, DEFAULT_WORKSPACE, Emulator

AUTH = {"authorization": f"Token {DEFAULT_API_TOKEN}", "x-simple-workspace": DEFAULT_WORKSPACE}
CHILEAN = {"name": "ACME SpA", "country": "CL", "tax_id": "76.086.428-5", "state": "CLRM"}


def http_for(emulator: Emulator, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=emulator.transport(), base_url=IN_PROCESS_BASE_URL, headers={**AUTH, **headers}
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with http_for(Emulator(seed=1)) as client:
        yield client


async def test_create_answers_201_with_the_whole_customer(http: httpx.AsyncClient) -> None:
    response = await http.post("/customers/", json={**CHILEAN, "reference": "ERP-1", "x": 1})
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("cus_") and len(body["id"]) == 22
    assert body["country"] == {
        "id": "CL",
        "name": "Chile",
        "code": "+56",
        "has_regulation": True,
        "currencies": ["CLP"],
    }
    assert body["state"] == {"id": 1, "name": "Región Metropolitana de Santiago", "country": "CL"}
    assert body["currency"] == "CLP" and body["status"] == "active" and body["test_mode"] is False
    assert body["reference"] == "ERP-1" and "x" not in body  # unknown fields ignored, as DRF
    assert set(body) >= {"aggregations", "contacts", "sources", "metadata", "created", "updated"}
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({}, 401, {"detail": "Authentication credentials were not provided."}),
        (
            {"authorization": "Bearer x"},
            401,
            {"detail": "Authentication credentials were not provided."},
        ),
        (
            {"authorization": "Token"},
            401,
            {"detail": "Invalid token header. No credentials provided."},
        ),
        ({"authorization": "Token wrong"}, 401, {"detail": "Invalid token."}),
        (
            {"authorization": f"Token {DEFAULT_API_TOKEN}"},
            400,
            {"non_field_errors": ["x-simple-workspace header is required."]},
        ),
        (
            {"authorization": f"Token {DEFAULT_API_TOKEN}", "x-simple-workspace": "acc_other"},
            403,
            {"detail": "You do not have permission to perform this action."},
        ),
    ],
)
async def test_token_and_workspace_are_checked(
    headers: dict[str, str], status: int, body: dict[str, Any]
) -> None:
    emulator = Emulator()
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=IN_PROCESS_BASE_URL
    ) as raw:
        response = await raw.get("/customers/", headers=headers)
    assert (response.status_code, response.json()) == (status, body)


async def test_400_field_maps_worded_as_drf(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/customers/",
        json={
            "email": "nope",
            "country": "XX",
            "state": 999,
            "currency": "ABC",
            "send_invoices": "x",
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "name": ["This field is required."],
        "email": ["Enter a valid email address."],
        "send_invoices": ["Must be a valid boolean."],
        "country": ['Invalid pk "XX" - object does not exist.'],
        "state": ['Invalid pk "999" - object does not exist.'],
        "currency": ['"ABC" is not a valid choice.'],
        "tax_id": ["This field is required."],  # a Chilean account's Chilean customer
    }
    wrong = await http.post(
        "/customers/", json={**CHILEAN, "tax_id": "76.086.428-4", "state": "MXJAL"}
    )
    assert wrong.json() == {
        "state": ["State must belong to the chosen country."],
        "tax_id": ["Invalid format."],
    }
    long = await http.post("/customers/", json={"name": "x" * 101, "country": "US"})
    assert long.json() == {"name": ["Ensure this field has no more than 100 characters."]}


async def test_a_mexican_account_needs_the_tax_scheme_of_its_mexican_customers() -> None:
    async with http_for(Emulator(account_country="MX")) as http:
        customer = {"name": "X", "country": "MX", "tax_id": "GODE561231GR8"}
        missing = await http.post("/customers/", json=customer)
        assert missing.json() == {"tax_settings": {"mx_tax_scheme": ["This field is required."]}}
        bad = await http.post(
            "/customers/", json={**customer, "tax_settings": {"mx_tax_scheme": "1"}}
        )
        assert bad.json() == {"tax_settings": {"mx_tax_scheme": ['"1" is not a valid choice.']}}
        ok = await http.post(
            "/customers/", json={**customer, "tax_settings": {"mx_tax_scheme": "601"}}
        )
        assert ok.status_code == 201 and ok.json()["tax_settings"] == {"mx_tax_scheme": "601"}


async def test_bodies_that_are_not_json_objects(http: httpx.AsyncClient) -> None:
    as_list = await http.post("/customers/", json=[CHILEAN])
    assert as_list.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    broken = await http.post(
        "/customers/", content=b"{", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["detail"].startswith("JSON parse error")
    text = await http.post("/customers/", content=b"name=x", headers={"content-type": "text/plain"})
    assert text.status_code == 415


async def test_patch_is_partial_put_is_whole_and_unknown_ids_are_404(
    http: httpx.AsyncClient,
) -> None:
    created = (await http.post("/customers/", json={**CHILEAN, "email": "a@b.example.com"})).json()
    path = f"/customers/{created['id']}/"
    patched = await http.patch(path, json={"phone": "+56911112222"})
    assert patched.status_code == 200
    assert (
        patched.json()["phone"] == "+56911112222" and patched.json()["email"] == "a@b.example.com"
    )
    assert (await http.put(path, json={"phone": "1"})).json() == {
        "name": ["This field is required."]
    }
    assert (await http.put(path, json=CHILEAN)).status_code == 200
    assert (await http.get(path)).json()["name"] == "ACME SpA"
    missing = await http.get("/customers/cus_nope/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    assert (await http.patch("/customers/cus_nope/", json={})).status_code == 404
    not_allowed = await http.post(path, json={})
    assert (not_allowed.status_code, not_allowed.json()) == (
        405,
        {"detail": 'Method "POST" not allowed.'},
    )
    assert (await http.get("/invoices/")).status_code == 404


async def test_delete_archives_a_customer_with_history_and_deletes_the_others() -> None:
    emulator = Emulator()
    async with http_for(emulator) as http:
        plain, invoiced, subscribed, drafted = [
            (await http.post("/customers/", json=CHILEAN)).json()["id"] for _ in range(4)
        ]
        emulator.add_document(invoiced, "invoice", "finalized", 1500.0)
        emulator.add_document(subscribed, "subscription", "active")
        emulator.add_document(drafted, "invoice", "draft", 10.0)
        assert (await http.get(f"/customers/{invoiced}/")).json()["aggregations"]["balance"] == 1500
        for customer in (plain, drafted):
            assert (await http.delete(f"/customers/{customer}/")).status_code == 204
            assert (await http.get(f"/customers/{customer}/")).status_code == 404
        assert (await http.delete(f"/customers/{invoiced}/")).status_code == 204
        assert (await http.get(f"/customers/{invoiced}/")).json()["status"] == "archived"
        refused = await http.delete(f"/customers/{subscribed}/")
        assert refused.status_code == 400
        assert refused.json() == {
            "non_field_errors": ["Customer has active subscriptions; cancel them first."]
        }
    with pytest.raises(KeyError):
        emulator.add_document("cus_nope")


async def test_test_mode_data_and_workspaces_are_separate() -> None:
    emulator = Emulator(workspaces=("acc_a", "acc_b"))
    async with (
        emulator.client(workspace="acc_a") as live,
        emulator.client(workspace="acc_a", test_mode=True) as test,
        emulator.client(workspace="acc_b") as other,
    ):
        created = await test.customers.create(CHILEAN)
        assert created.test_mode is True
        with pytest.raises(nf.NotFoundError):
            await live.customers.retrieve(str(created.id))
        with pytest.raises(nf.NotFoundError):
            await other.customers.retrieve(str(created.id))
        assert [c.id async for c in test.customers.list()] == [created.id]
        assert [c async for c in live.customers.list()] == []
    assert len(emulator.customers("acc_a", test_mode=True)) == 1


async def test_pages_and_next_links(http: httpx.AsyncClient) -> None:
    for i in range(45):
        await http.post("/customers/", json={"name": f"C{i:02d}", "country": "US"})
    first = (await http.get("/customers/", params={"country": "US"})).json()
    assert first["count"] == 45 and len(first["results"]) == 20 and first["previous"] is None
    assert first["next"] == "http://emulator.localhost/customers/?country=US&page=2"
    assert first["results"][0]["name"] == "C44"  # newest first (ordering=-created)
    last = (await http.get("/customers/", params={"page": 3, "page_size": 20})).json()
    assert len(last["results"]) == 5 and last["next"] is None
    assert last["previous"] == "http://emulator.localhost/customers/?page_size=20&page=2"
    second = (await http.get("/customers/", params={"page": 2})).json()
    assert second["previous"] == "http://emulator.localhost/customers/"
    big = (await http.get("/customers/", params={"page_size": 1000, "ordering": "name"})).json()
    assert len(big["results"]) == 45 and big["results"][0]["name"] == "C00"
    beyond = await http.get("/customers/", params={"page": 9})
    assert (beyond.status_code, beyond.json()) == (404, {"detail": "Invalid page."})


async def test_next_links_can_be_public_and_http() -> None:
    emulator = Emulator(public_url="https://api.piriod.com", next_http=True, page_size=1)
    async with http_for(emulator) as http:
        for name in ("a", "b"):
            await http.post("/customers/", json={"name": name, "country": "US"})
        page = (await http.get("/customers/")).json()
    assert page["next"] == "http://api.piriod.com/customers/?page=2"


async def test_filters_and_the_undocumented_reference_filter() -> None:
    clock = ManualClock(1_700_000_000)
    emulator = Emulator(clock=clock)
    async with http_for(emulator) as http:
        for i, country in enumerate(("US", "US", "AR")):
            clock.advance(86_400)
            body = {
                "name": f"N{i}",
                "country": country,
                "reference": f"R{i}",
                "email": f"{i}@x.example.com",
            }
            await http.post(
                "/customers/", json={**body, "metadata": {"erp": f"E{i}", "flag": True}}
            )

        async def names(**params: Any) -> list[str]:
            page = (await http.get("/customers/", params={**params, "ordering": "created"})).json()
            return [c["name"] for c in page["results"]]

        assert await names(country="US") == ["N0", "N1"]
        assert await names(email="2@x.example.com") == ["N2"]
        assert await names(metadata__erp="E1") == ["N1"]
        assert await names(metadata__flag="true") == ["N0", "N1", "N2"]
        assert await names(search="n2") == ["N2"]
        assert await names(created__gte="2023-11-16T00:00:00Z") == ["N1", "N2"]
        assert await names(reference="R1") == ["N0", "N1", "N2"]  # ignored: not a filter
        emulator.configure(reference_filter=True)
        assert await names(reference="R1") == ["N1"]


async def test_the_seed_shape_of_country_and_state() -> None:
    async with http_for(Emulator(object_shape="seed")) as http:
        body = (
            await http.post("/customers/", json={"name": "A", "country": "US", "state": "USAZ"})
        ).json()
    assert body["country"] == {
        "id": "US",
        "name": "Estados Unidos",
        "name_en": "United states",
        "phone_code": "+1",
        "has_regulation": False,
        "tax_percent": 10,
    }
    assert body["state"] == {"id": "USAZ", "code": "AZ", "name": "Arizona"}


async def test_a_lost_answer_still_stores_the_customer() -> None:
    emulator = Emulator(lost_rate=1.0)
    async with http_for(emulator) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/customers/", json=CHILEAN)
    assert len(emulator.customers()) == 1 and emulator.requests[-1].fault == "lost"


async def test_faults_answer_detail_bodies() -> None:
    emulator = Emulator(throttle_rate=0.5, fail_rate=0.5, seed=2)
    async with http_for(emulator) as http:
        statuses = {}
        for _ in range(20):
            response = await http.get("/customers/")
            statuses[response.status_code] = response.json()
    assert statuses[429] == {"detail": "Request was throttled."}
    assert statuses[500] == {"detail": "A server error occurred."}


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="page_size"):
        Emulator(page_size=0)
    with pytest.raises(ValueError, match="account_country must be one of"):
        Emulator(account_country="ZZ")
    with pytest.raises(ValueError, match="object_shape"):
        Emulator(object_shape="other")  # type: ignore[arg-type]
    assert DEFAULT_API_TOKEN not in repr(Emulator())


async def test_served_over_a_socket_the_sdk_upserts_by_reference() -> None:
    emulator = Emulator(seed=5)
    records = [{"reference": f"S{i}", "name": f"Served {i}", "country": "US"} for i in range(30)]
    with emulator.serving() as server:
        async with PiriodClient(
            DEFAULT_API_TOKEN, DEFAULT_WORKSPACE, base_url=server.base_url
        ) as client:
            first = await client.customers.bulk_upsert(records)
            second = await client.customers.bulk_upsert(records)
            found = await client.customers.find("S7")
    assert first.ok and second.ok and found is not None and found.name == "Served 7"
    assert found.metadata[REFERENCE_METADATA_KEY] == "S7"
    assert set(emulator.references().values()) == {1} and len(emulator.references()) == 30
    assert emulator.banner(server.base_url).splitlines()[1] == f"  api token: {DEFAULT_API_TOKEN}"


async def test_metadata_lookups_follow_updates_and_deletes(http: httpx.AsyncClient) -> None:
    async def ids(value: str) -> list[str]:
        page = (await http.get("/customers/", params={"metadata__erp": value})).json()
        return [c["id"] for c in page["results"]]

    created = (await http.post("/customers/", json={**CHILEAN, "metadata": {"erp": "E1"}})).json()
    assert await ids("E1") == [created["id"]]
    await http.patch(f"/customers/{created['id']}/", json={"metadata": {"erp": "E2"}})
    assert await ids("E1") == [] and await ids("E2") == [created["id"]]
    await http.patch(f"/customers/{created['id']}/", json={"name": "Renamed"})
    assert await ids("E2") == [created["id"]]
    await http.delete(f"/customers/{created['id']}/")
    assert await ids("E2") == []


def test_the_emulator_command_line_builds_the_piriod_emulator() -> None:
    from neofin_async._emulation._cli import build, emulator_parser

    args = emulator_parser().parse_args(
        [
            "--provider",
            "piriod",
            "--lost-rate",
            "0.2",
            "--seed",
            "7",
            "--workspace",
            "acc_a",
            "--workspace",
            "acc_b",
            "--account-country",
            "mx",
            "--object-shape",
            "seed",
            "--page-size",
            "5",
            "--reference-filter",
            "--public-url",
            "https://api.piriod.com",
            "--next-http",
        ]
    )
    emulator = build(args)
    assert isinstance(emulator, Emulator)
    config = emulator.config
    assert (config.lost_rate, config.seed, config.workspaces) == (0.2, 7, ("acc_a", "acc_b"))
    assert (config.account_country, config.object_shape, config.page_size) == ("MX", "seed", 5)
    assert config.reference_filter and config.next_http
    assert config.public_url == "https://api.piriod.com"
    defaults = build(emulator_parser().parse_args(["--provider", "piriod"])).config
    assert defaults.workspaces == (DEFAULT_WORKSPACE,) and not defaults.reference_filter
    with pytest.raises(ValueError, match="not an option of the piriod emulator"):
        build(emulator_parser().parse_args(["--provider", "piriod", "--public-key", "x"]))
