"""`client.customers`: /customer endpoints."""

from __future__ import annotations

from .._brazil import normalize_document
from .._urls import segment
from ..models import Customer, CustomerInput
from ._base import UpsertResource


class Customers(UpsertResource[CustomerInput]):
    """`client.customers`: upsert customers (up to 50 a request, or any number through
    `bulk_upsert`) and read them back by your id or their CPF/CNPJ."""

    bulk_resource = "customers"
    _path = "/customer/"
    _key = "customers"
    _model = CustomerInput

    async def retrieve(self, integration_identifier: str) -> Customer:
        """`GET /customer/integration/{integration_identifier}`."""
        path = f"/customer/integration/{segment(integration_identifier, 'integration_identifier')}"
        return Customer.model_validate((await self._pipeline.request("GET", path)).data)

    async def retrieve_by_document(self, document: str) -> Customer:
        """`GET /customer/{document}`: CPF or CNPJ, with or without punctuation."""
        path = f"/customer/{segment(normalize_document(document), 'document')}"
        return Customer.model_validate((await self._pipeline.request("GET", path)).data)
