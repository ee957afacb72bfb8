"""Piriod customer models: inputs validated strictly before sending, outputs read leniently.

Inputs accept dotted keys for nested fields (`"tax_settings.mx_tax_scheme": "601"`,
`"metadata.erp_id": "A-1"`), so a flat CSV record validates as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)

from ..models import Email, InputModel, OutputModel, Text, Timestamp
from ..models import Number as _Number
from . import _constants as c
from ._taxid import check_tax_id


class BrTaxRegime(str, Enum):
    """`tax_settings.br_tax_regime` (Brazil)."""

    ISENTO = "Isento"
    MICROEMPREENDEDOR_INDIVIDUAL = "MicroempreendedorIndividual"
    SIMPLES_NACIONAL = "SimplesNacional"
    LUCRO_PRESUMIDO = "LucroPresumido"
    LUCRO_REAL = "LucroReal"


MX_TAX_SCHEMES: dict[str, str] = {
    "601": "General de Ley Personas Morales",
    "603": "Personas Morales con Fines no Lucrativos",
    "605": "Sueldos y Salarios e Ingresos Asimilados a Salarios",
    "606": "Arrendamiento",
    "607": "Régimen de Enajenación o Adquisición de Bienes",
    "608": "Demás ingresos",
    "609": "Consolidación",
    "610": "Residentes en el Extranjero sin Establecimiento Permanente en México",
    "611": "Ingresos por Dividendos (socios y accionistas)",
    "612": "Personas Físicas con Actividades Empresariales y Profesionales",
    "614": "Ingresos por intereses",
    "615": "Régimen de los ingresos por obtención de premios",
    "616": "Sin obligaciones fiscales",
    "620": "Sociedades Cooperativas de Producción que optan por diferir sus ingresos",
    "621": "Incorporación Fiscal",
    "622": "Actividades Agrícolas, Ganaderas, Silvícolas y Pesqueras",
    "623": "Opcional para Grupos de Sociedades",
    "624": "Coordinados",
    "625": "Régimen de las Actividades Empresariales con ingresos a través de Plataformas "
    "Tecnológicas",
    "626": "Régimen Simplificado de Confianza",
    "628": "Hidrocarburos",
    "629": "De los Regímenes Fiscales Preferentes y de las Empresas Multinacionales",
    "630": "Enajenación de acciones en bolsa de valores",
}
"""SAT tax regimes accepted as `tax_settings.mx_tax_scheme`, with their names."""

_NESTED = ("tax_settings", "metadata")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


# -- field types ---------------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _code(length: int, what: str, example: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value:
            code = value.strip().upper()
            if len(code) != length or not code.isascii() or not code.isalpha():
                raise ValueError(f"{value!r} is not {what}, e.g. {example!r}")
            return code
        return value

    return check


def _state(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a state code (e.g. 'CLRM') or a state id")
    if isinstance(value, str) and value:
        code = value.strip().upper()
        if code.isdigit():
            return int(code)
        if len(code) > c.MAX_STATE_CODE or not code.isalnum():
            raise ValueError(f"{value!r} is not a Piriod state code (at most 6 letters)")
        return code
    return value


def _mx_tax_scheme(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip() not in MX_TAX_SCHEMES:
        raise ValueError(f"{value!r} is not a SAT tax regime code (601 to 630)")
    return value.strip() if isinstance(value, str) else value


def _ibge_city(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value and not (len(value) == 7 and value.isdigit()):
        raise ValueError(f"{value!r} is not an IBGE city code (7 digits, e.g. '1100122')")
    return value


def _url(value: Any) -> Any:
    if isinstance(value, str) and value and not _URL.match(value.strip()):
        raise ValueError(f"{value!r} is not a website URL, e.g. 'https://acme.cl'")
    return value.strip() if isinstance(value, str) else value


Country = Annotated[str, BeforeValidator(_code(2, "a two-letter country code", "CL"))]
Currency = Annotated[str, BeforeValidator(_code(3, "a three-letter currency code", "CLP"))]
StateRef = Annotated[str | int, BeforeValidator(_state)]
MxTaxScheme = Annotated[str, BeforeValidator(_mx_tax_scheme)]
IbgeCity = Annotated[str, BeforeValidator(_ibge_city)]
Website = Annotated[str, BeforeValidator(_url)]
Name = Annotated[str, AfterValidator(_not_blank), StringConstraints(max_length=c.MAX_NAME)]
Reference = Annotated[
    str, AfterValidator(_not_blank), StringConstraints(max_length=c.MAX_REFERENCE)
]
TaxId = Annotated[str, StringConstraints(max_length=c.MAX_TAX_ID)]
Address = Annotated[str, StringConstraints(max_length=c.MAX_ADDRESS)]
ZipCode = Annotated[str, StringConstraints(max_length=c.MAX_ZIP_CODE)]
Phone = Annotated[str, StringConstraints(max_length=c.MAX_PHONE)]
Manager = Annotated[str, StringConstraints(max_length=c.MAX_MANAGER)]
MetadataValue = str | int | float | bool | None


# -- inputs --------------------------------------------------------------------------------


class TaxSettings(InputModel):
    """`tax_settings`: the tax agency's fields for the customer's country (BR, CL or MX)."""

    br_city_code: IbgeCity | None = None
    br_city_name: str | None = None
    br_tax_regime: BrTaxRegime | None = None
    br_municipal_tax_number: str | None = None
    cl_activity_description: str | None = None
    mx_tax_scheme: MxTaxScheme | None = None

    def countries(self) -> set[str]:
        """The countries whose fields are set (`{"BR"}`, `{"CL"}`, ...)."""
        return {name[:2].upper() for name in self.model_fields_set if getattr(self, name)}


class _CustomerFields(InputModel):
    # `country` comes first: the tax id and tax settings are checked against it.
    country: Country | None = None
    name: Name | None = None
    reference: Reference | None = None
    tax_id: TaxId | None = None
    email: Email | None = None
    state: StateRef | None = None
    currency: Currency | None = None
    address: Address | None = None
    zip_code: ZipCode | None = None
    phone: Phone | None = None
    website: Website | None = None
    manager: Manager | None = None
    tax_settings: TaxSettings | None = None
    metadata: dict[str, MetadataValue] | None = None
    send_invoices: bool | None = None
    send_collections: bool | None = None
    send_vouchers: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _dotted_keys(cls, data: Any) -> Any:
        """`{"tax_settings.mx_tax_scheme": "601"}` -> `{"tax_settings": {"mx_tax_scheme": ...}}`;
        empty cells of dotted columns are left out."""
        if not isinstance(data, Mapping) or not any("." in str(key) for key in data):
            return data
        flat: dict[str, Any] = {}
        for key, value in data.items():
            head, dot, tail = str(key).partition(".")
            if dot and head in _NESTED:
                if value is not None and value != "":
                    nested = flat.setdefault(head, {})
                    if isinstance(nested, dict):
                        nested[tail] = value
            else:
                flat[key] = value
        return flat

    @field_validator("tax_id")
    @classmethod
    def _tax_id_of_country(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if value and country:
            return check_tax_id(country, value)
        return value

    @field_validator("tax_settings")
    @classmethod
    def _tax_settings_of_country(
        cls, value: TaxSettings | None, info: ValidationInfo
    ) -> TaxSettings | None:
        country = info.data.get("country")
        others = value.countries() - {country} if value is not None and country else set()
        if others:
            raise ValueError(
                f"has fields for {', '.join(sorted(others))} but the customer's country is "
                f"{country}"
            )
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_keys(cls, value: dict[str, MetadataValue] | None) -> Any:
        if value and any(not key.strip() for key in value):
            raise ValueError("metadata keys must not be empty")
        return value


class CustomerInput(_CustomerFields):
    """A customer for `POST /customers/` (and for `bulk_upsert`, keyed by `reference`).

    `name` is required; `tax_id` is checked against `country` (CL RUT, MX RFC, BR CPF/CNPJ,
    CO NIT) and sent as given. Whether a tax id is required depends on the account's own
    country, which the client does not know: the server decides (its 400 is folded onto the
    item). `state` is a Piriod state code (`"CLRM"`) or a state id; `currency` defaults
    server-side from the country.
    """

    name: Name


class CustomerUpdate(_CustomerFields):
    """The fields to change with `PATCH /customers/{id}/`; every field optional."""


# -- outputs -------------------------------------------------------------------------------


def _object(key: str) -> Any:
    """A bare id (`"CL"`, `"USAZ"`, `123`) as `{key: id}`; anything unreadable as None."""

    def read(value: Any) -> Any:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return {key: value}
        return value if value is None or isinstance(value, Mapping) else None

    return read


def _list(value: Any) -> Any:
    return value if isinstance(value, list) else []


def _objects(value: Any) -> Any:
    """A list of objects; bare ids (`"con_..."`) become `{"id": ...}`, the rest is dropped."""
    return [
        {"id": v} if isinstance(v, str) else v
        for v in _list(value)
        if isinstance(v, (str, Mapping))
    ]


def _dict(value: Any) -> Any:
    return value if isinstance(value, Mapping) else {}


def _dict_or_none(value: Any) -> Any:
    return value if isinstance(value, Mapping) else None


def _mapping(value: Any) -> Any:
    return value if isinstance(value, (Mapping, str)) else None


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


def _texts(value: Any) -> Any:
    return [str(v) for v in _list(value) if isinstance(v, (str, int, float))]


# Output field types: a value of an unexpected type is read as None, never an error.
Str = Annotated[Text, WrapValidator(_or_none)]
Flag = Annotated[bool | None, WrapValidator(_or_none)]
Num = Annotated[_Number, WrapValidator(_or_none)]
When = Annotated[Timestamp, WrapValidator(_or_none)]
Key = Annotated[str | int | None, WrapValidator(_or_none)]
Texts = Annotated[list[str], BeforeValidator(_texts)]


class CountryInfo(OutputModel):
    """`country` as answered: `{id, name, name_en, phone_code, has_regulation, tax_percent}`
    (seed document) or `{id, name, code, has_regulation, currencies}` (API reference, where
    `code` is the dialling prefix). A bare code becomes `CountryInfo(id=...)`."""

    id: Str = None
    name: Str = None
    name_en: Str = None
    phone_code: Str = None
    code: Str = None
    has_regulation: Flag = None
    tax_percent: Num = None
    currencies: Texts = Field(default_factory=list)

    @property
    def dialling_code(self) -> str | None:
        """The country's phone prefix, in whichever shape the API sent it."""
        return self.phone_code or self.code


class StateInfo(OutputModel):
    """`state` as answered: `{id: "USAZ", code: "AZ", name}` (seed document) or
    `{id: 123, name, country}` (API reference). A bare code or id becomes `StateInfo(id=...)`."""

    id: Key = None
    code: Str = None
    name: Str = None
    country: Str = None


class Contact(OutputModel):
    """A customer's contact (`con_...`)."""

    id: Str = None
    name: Str = None
    email: Str = None
    phone: Str = None
    customer: Str = None
    orgunit: Str = None
    invoicing: Flag = None
    collections: Flag = None
    created: When = None
    updated: When = None


class Aggregations(OutputModel):
    """A customer's sales totals and balance."""

    sales: Num = None
    sales_current_period: Num = None
    balance: Num = None


class Customer(OutputModel):
    """A customer as Piriod answers it (create, retrieve, update, list)."""

    id: Str = None
    name: Str = None
    reference: Str = None
    tax_id: Str = None
    email: Str = None
    country: Annotated[CountryInfo | None, BeforeValidator(_object("id"))] = None
    state: Annotated[StateInfo | None, BeforeValidator(_object("id"))] = None
    currency: Str = None
    address: Str = None
    zip_code: Str = None
    phone: Str = None
    website: Str = None
    manager: Str = None
    tax_settings: Annotated[dict[str, Any] | str | None, BeforeValidator(_mapping)] = None
    metadata: Annotated[dict[str, Any], BeforeValidator(_dict)] = Field(default_factory=dict)
    send_invoices: Flag = None
    send_collections: Flag = None
    send_vouchers: Flag = None
    status: Str = None
    contacts: Annotated[list[Contact], BeforeValidator(_objects)] = Field(default_factory=list)
    sources: Annotated[list[Any], BeforeValidator(_list)] = Field(default_factory=list)
    aggregations: Annotated[Aggregations | None, BeforeValidator(_dict_or_none)] = None
    test_mode: Flag = None
    created: When = None
    updated: When = None

    @property
    def country_id(self) -> str | None:
        """The ISO code of the customer's country (`"CL"`), whatever shape `country` came in."""
        return self.country.id if self.country is not None else None
