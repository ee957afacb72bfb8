"""Countries and states as Piriod names them (state codes: country + ISO 3166-2 subdivision,
as the seed's `"USAZ"`), for the emulator and the sample data. A small subset: the countries
Piriod invoices in and the states of their main cities."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Country:
    id: str
    name: str
    name_en: str
    phone_code: str
    has_regulation: bool
    tax_percent: float
    currency: str
    tax_id_name: str | None


@dataclass(frozen=True, slots=True)
class State:
    number: int
    """The integer id of the API reference's State object."""
    id: str
    """The seed's code: country + subdivision, at most six letters."""
    name: str

    @property
    def country(self) -> str:
        return self.id[:2]

    @property
    def code(self) -> str:
        return self.id[2:]


COUNTRIES = {
    country.id: country
    for country in (
        Country("CL", "Chile", "Chile", "+56", True, 19, "CLP", "RUT"),
        Country("MX", "México", "Mexico", "+52", True, 16, "MXN", "RFC"),
        Country("CO", "Colombia", "Colombia", "+57", True, 19, "COP", "NIT"),
        Country("BR", "Brasil", "Brazil", "+55", False, 0, "BRL", "CPF/CNPJ"),
        Country("PE", "Perú", "Peru", "+51", False, 18, "PEN", None),
        Country("AR", "Argentina", "Argentina", "+54", False, 21, "ARS", None),
        Country("US", "Estados Unidos", "United states", "+1", False, 10, "USD", None),
    )
}

# fmt: off
_STATES = (
    ("CLRM", "Región Metropolitana de Santiago"), ("CLVS", "Valparaíso"), ("CLBI", "Biobío"),
    ("CLAN", "Antofagasta"), ("CLCO", "Coquimbo"), ("CLAR", "La Araucanía"),
    ("CLLL", "Los Lagos"), ("CLML", "Maule"), ("CLLI", "O'Higgins"), ("CLTA", "Tarapacá"),
    ("MXCMX", "Ciudad de México"), ("MXJAL", "Jalisco"), ("MXNLE", "Nuevo León"),
    ("MXPUE", "Puebla"), ("MXQUE", "Querétaro"), ("MXYUC", "Yucatán"),
    ("MXBCN", "Baja California"), ("MXMEX", "Estado de México"),
    ("COBOG", "Bogotá D.C."), ("COANT", "Antioquia"), ("COVAC", "Valle del Cauca"),
    ("BRSP", "São Paulo"), ("BRRJ", "Rio de Janeiro"), ("BRMG", "Minas Gerais"),
    ("BRRO", "Rondônia"),
    ("PELIM", "Lima"), ("ARC", "Ciudad Autónoma de Buenos Aires"),
    ("USAZ", "Arizona"), ("USCA", "California"), ("USNY", "New York"), ("USTX", "Texas"),
)
# fmt: on
STATES = {code: State(number, code, name) for number, (code, name) in enumerate(_STATES, 1)}
STATES_BY_NUMBER = {state.number: state for state in STATES.values()}
