"""Model bases, item validation with readable errors, and fast batch encoding."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict

from .._exceptions import InvalidItemError


class InputModel(BaseModel):
    """A request item: validated before sending; unknown (misspelled) fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, validate_default=False)

    def to_json(self) -> bytes:
        """The item as the API expects it: compact JSON, unset optional fields left out."""
        return self.__pydantic_serializer__.to_json(self, exclude_none=True)


class OutputModel(BaseModel):
    """A response object: lenient about types, keeps fields it does not know."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


InputT = TypeVar("InputT", bound=InputModel)


def field_errors(exc: pydantic.ValidationError, model: type[BaseModel]) -> dict[str, list[str]]:
    """`{"field": ["message", ...]}` from a pydantic error, with a hint for misspelled fields."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "(item)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
            close = difflib.get_close_matches(field, model.model_fields, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
        elif error["type"] == "missing":
            message = "required field is missing"
        errors.setdefault(field, []).append(message)
    return errors


def identifier_of(item: Any) -> str | None:
    """The item's `integration_identifier`, if it has a usable one."""
    value = (  # models first: isinstance(item, Mapping) is slow for them (hot path)
        getattr(item, "integration_identifier", None)
        if isinstance(item, BaseModel) or not isinstance(item, Mapping)
        else item.get("integration_identifier")
    )
    return value if isinstance(value, str) else None


def validate_item(model: type[InputT], item: object, index: int) -> InputT:
    """Validate one input item, raising `InvalidItemError` that names the item and its fields.

    A reader that cannot parse a record may pass an `InvalidItemError` as the item: it is
    refused with the same errors (and counted invalid, never sent)."""
    if isinstance(item, model):
        return item
    if isinstance(item, InvalidItemError):
        raise InvalidItemError(index, item.errors, item.integration_identifier)
    try:
        return model.__pydantic_validator__.validate_python(item)  # type: ignore[no-any-return]
    except pydantic.ValidationError as exc:
        raise InvalidItemError(index, field_errors(exc, model), identifier_of(item)) from None


def encode_batch(key: str, items: Iterable[InputModel]) -> bytes:
    """`{"<key>": [item, ...]}` as compact JSON bytes, without an intermediate dict."""
    return b'{"%s":[%s]}' % (key.encode(), b",".join(item.to_json() for item in items))
