"""Model bases, item validation with readable errors, and fast batch encoding."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Collection, Iterable, Mapping
from functools import cache, lru_cache
from typing import Any, Literal, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict
from pydantic_core import SchemaSerializer, SchemaValidator

from .._exceptions import ConfigurationError, InvalidItemError
from ._types import PATTERN_MESSAGES, json_value_error, shown

ExtraFields = Collection[str] | Literal["allow"] | None
"""What `extra_fields=` takes: names let through unchanged, `"allow"` (any name), or None."""
AllowedExtras = frozenset[str] | Literal["allow"] | None
"""An `ExtraFields` once checked by `resolve_extra_fields`: what `validate_item` takes."""


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


def unknown_field(name: str, known: Iterable[str]) -> str:
    """The message for a field the model does not know, with a hint when one is close."""
    close = difflib.get_close_matches(name, known, n=1)
    return f"unknown field; did you mean {close[0]!r}?" if close else "unknown field"


def field_errors(exc: pydantic.ValidationError, model: type[BaseModel]) -> dict[str, list[str]]:
    """`{"field": ["message", ...]}` from a pydantic error, with a hint for misspelled fields."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "(item)"
        kind = error["type"]
        if kind == "extra_forbidden":
            message = unknown_field(str(error["loc"][-1]), _fields_at(model, error["loc"][:-1]))
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "string_pattern_mismatch" and error["ctx"]["pattern"] in PATTERN_MESSAGES:
            message = PATTERN_MESSAGES[error["ctx"]["pattern"]].format(input=shown(error["input"]))
        else:
            message = _with_value(error["msg"].removeprefix("Value error, "), error["input"])
        errors.setdefault(field, []).append(message)
    return errors


def _with_value(message: str, value: Any) -> str:
    """The message, naming the value refused unless it already does (objects and lists are
    not repeated: their fields have their own messages)."""
    if isinstance(value, (dict, list)):
        return message
    text = shown(value)
    named = re.search(rf"(?<!\w){re.escape(text)}(?!\w)", message)
    return message if named else f"{message} (got {text})"


def _fields_at(model: type[BaseModel], path: tuple[int | str, ...]) -> Iterable[str]:
    """The field names of the (nested) model at `path`, e.g. ("installments_data", 0)."""
    for part in path:
        if isinstance(part, str):
            field = model.model_fields.get(part)
            nested = field and _model_in(field.annotation)
            if nested is None:
                return ()
            model = nested
    return model.model_fields


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds (`list[Model] | None` -> `Model`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def identifier_of(item: Any) -> str | None:
    """The item's `integration_identifier`, if it has a usable one."""
    if type(item) is dict:  # the hot path: a dict, or a model (one attribute look-up)
        value = item.get("integration_identifier")
    else:
        value = getattr(item, "integration_identifier", None)
        if value is None and isinstance(item, Mapping):
            value = item.get("integration_identifier")
    return value if isinstance(value, str) else None


def resolve_extra_fields(*options: ExtraFields) -> AllowedExtras:
    """Check and combine `extra_fields=` options (the client's, then a call's): the union of the
    names, `"allow"` if any option is `"allow"`, None if no option names a field. Call it once
    per client or call, not per item.

    Raises `ConfigurationError` for anything else (a single name must be given as `{"name"}`)."""
    names: set[str] = set()
    allow = False
    for option in options:
        if option is None:
            continue
        if option == "allow":
            allow = True
            continue
        listed = tuple(option) if isinstance(option, Iterable) else (option,)
        if isinstance(option, str) or not all(isinstance(name, str) for name in listed):
            raise ConfigurationError(
                f'extra_fields must be "allow" or a collection of field names, not {shown(option)}'
            )
        names.update(listed)
    if allow:
        return "allow"
    return frozenset(names) or None  # no names: the default path, as fast as without


@cache
def _passthrough(model: type[BaseModel]) -> tuple[frozenset[str], SchemaValidator]:
    """`model`'s field names, and the validator of a subclass keeping the fields it does not
    know (serialised by `to_json`; `validate_item` checks their names). A subclass, so
    `isinstance(item, model)` still holds."""
    config = ConfigDict(extra="allow")
    namespace = {"model_config": config, "__module__": model.__module__}
    keeping: type[BaseModel] = type(model.__name__, (model,), namespace)
    return frozenset(model.model_fields), keeping.__pydantic_validator__  # type: ignore[return-value]


def validate_item(
    model: type[InputT], item: object, index: int, *, extra_fields: AllowedExtras = None
) -> InputT:
    """Validate one input item, raising `InvalidItemError` that names the item and its fields.

    `extra_fields` (from `resolve_extra_fields`) lets fields the model does not know through,
    unchanged and sent by `to_json()`: those names, or any with `"allow"`. Their values must be
    JSON (nested at most MAX_FIELD_DEPTH deep); None values are left out like unset fields. Other
    unknown names are still refused with a "did you mean" hint.

    A reader that cannot parse a record may pass an `InvalidItemError` as the item: it is
    refused with the same errors (and counted invalid, never sent)."""
    if type(item) is not dict:  # dicts first: the usual input, and the check is cheapest
        if isinstance(item, model):
            return item
        if isinstance(item, InvalidItemError):
            raise InvalidItemError(index, item.errors, item.integration_identifier)
    if extra_fields is not None and isinstance(item, Mapping):
        return _validate_with_extras(model, item, index, extra_fields)
    try:
        return model.__pydantic_validator__.validate_python(item)  # type: ignore[no-any-return]
    except pydantic.ValidationError as exc:
        raise InvalidItemError(index, field_errors(exc, model), identifier_of(item)) from None


def _validate_with_extras(
    model: type[InputT], item: Mapping[Any, Any], index: int, allowed: frozenset[str] | str
) -> InputT:
    known, validator = _passthrough(model)
    errors: dict[str, list[str]] = {}
    for name, value in item.items():
        if name in known:
            continue
        if not isinstance(name, str):
            errors[str(name)] = ["field names must be text"]
        elif allowed != "allow" and name not in allowed:
            errors[name] = [unknown_field(name, [*model.model_fields, *allowed])]
        else:
            error = json_value_error(value)
            if error:
                errors[name] = [error]
    try:
        validated = validator.validate_python(item)
    except pydantic.ValidationError as exc:
        errors = {**field_errors(exc, model), **errors}
    if errors:
        raise InvalidItemError(index, errors, identifier_of(item))
    return validated  # type: ignore[no-any-return]


def encode_batch(key: str, items: Iterable[InputModel]) -> bytes:
    """`{"<key>": [item, ...]}` as compact JSON bytes, without an intermediate dict. Items of
    one model (the usual batch) are serialised in one call, else each by its `to_json()`."""
    models = list(items)
    kind = type(models[0]) if models else InputModel
    if kind.to_json is InputModel.to_json and all(type(m) is kind for m in models):
        array = _list_serializer(kind).to_json(models, exclude_none=True)
    else:
        array = b"[%s]" % b",".join(item.to_json() for item in models)
    return b'{"%s":%s}' % (key.encode(), array)


@lru_cache(maxsize=64)
def _list_serializer(model: type[InputModel]) -> SchemaSerializer:
    """Serialises a `list[model]` exactly as `to_json()` would each item (a subclass's own
    fields, such as passed-through extras, need that subclass's serializer)."""
    return pydantic.TypeAdapter(list[model]).serializer  # type: ignore[valid-type]
