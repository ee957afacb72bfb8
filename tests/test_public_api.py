"""Every public name exists and is documented: each name in an `__all__`, and every public
method of the public classes (httpx keeps such a test)."""

from __future__ import annotations

import enum
import importlib
import inspect
import typing
from collections.abc import Iterator
from typing import Any

import pytest

PUBLIC_MODULES = [
    "neofin_async",
    "neofin_async.bulk",
    "neofin_async.webhooks",
    "neofin_async.emulator",
    "neofin_async.models",
    "neofin_async.chargeover",
    "neofin_async.chargeover.emulator",
    "neofin_async.piriod",
    "neofin_async.piriod.emulator",
    "neofin_async.contrib.notebook",
    "neofin_async.contrib.fastapi",
]


def public_names() -> Iterator[tuple[str, str, Any]]:
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield module_name, name, getattr(module, name, None)


def undocumented(obj: Any) -> list[str]:
    """The parts of a public class or function that lack a docstring."""
    if inspect.isclass(obj) and issubclass(obj, enum.Enum):
        return [] if obj.__doc__ and obj.__doc__ != enum.Enum.__doc__ else ["the enum"]
    missing = [] if (inspect.getdoc(obj) or "").strip() and obj.__doc__ else ["itself"]
    if inspect.isclass(obj):
        for name, member in vars(obj).items():
            if name.startswith("_") or (not callable(member) and not isinstance(member, property)):
                continue
            # an override documented by the method it overrides counts (inspect.getdoc)
            documented = member.__doc__ if isinstance(member, property) else None
            documented = documented or inspect.getdoc(getattr(obj, name))
            if not (documented or "").strip():
                missing.append(name)
    return missing


@pytest.mark.parametrize(("module", "name", "obj"), list(public_names()))
def test_every_public_name_exists_and_is_documented(module: str, name: str, obj: Any) -> None:
    assert hasattr(importlib.import_module(module), name), f"{module}.{name} does not exist"
    alias = typing.get_origin(obj) is not None  # `Clock = Callable[[], float]` (a class on 3.10)
    if (inspect.isclass(obj) or inspect.isfunction(obj)) and not alias:
        assert not undocumented(obj), f"{module}.{name}: no docstring on {undocumented(obj)}"


def test_the_resources_users_touch_most_are_documented() -> None:
    from neofin_async.resources import Billings, Customers, Webhooks

    for cls in (Billings, Customers, Webhooks):
        assert not undocumented(cls), f"{cls.__name__}: {undocumented(cls)}"
