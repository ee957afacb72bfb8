"""The layer picture of ARCHITECTURE.md is the imports: data flows down, nothing reaches back
up, and a package is used through its public surface (its `__init__`), not its private
modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "neofin_async"

LAYERS: list[list[str]] = [
    # 0: facts and failures every layer may use
    ["_constants", "_compat", "_version", "_logging", "_brazil", "_exceptions", "_errormap",
     "_urls", "_retry", "_fields", "_taxid", "_postgres"],
    ["models"],  # 1
    ["_exchange", "_aiohttp", "_http_client", "_pipeline"],  # 2: the request path
    ["bulk", "_pagination", "webhooks"],  # 3: provider-neutral machinery
    ["_base_client", "resources", "_client", "chargeover", "piriod", "exports"],  # 4
    ["_emulation", "emulator", "chargeover.emulator", "piriod.emulator", "sharding"],  # 5
    ["contrib"],  # 6: integrations
    ["cli"],  # 7
]  # fmt: skip
SHARED_WITHIN_A_LAYER = {
    # (importer, imported): allowed although both sit on the same layer
    ("_aiohttp", "_exchange"),  # the request path, bottom up: exchange, its senders, pipeline
    ("_http_client", "_exchange"),
    ("_http_client", "_aiohttp"),
    ("_pipeline", "_exchange"),
    ("_pipeline", "_http_client"),
    ("resources", "_base_client"),
    ("_client", "_base_client"),
    ("_client", "resources"),
    ("chargeover", "_base_client"),
    ("piriod", "_base_client"),
    ("emulator", "_emulation"),
    ("chargeover.emulator", "_emulation"),
    ("piriod.emulator", "_emulation"),
    ("exports", "piriod"),  # the fields of each provider's records
    ("exports", "chargeover"),
}
RANK = {component: rank for rank, layer in enumerate(LAYERS) for component in layer}


def component_of(module: str) -> str:
    """`neofin_async.chargeover.emulator._app` -> `chargeover.emulator`."""
    parts = module.split(".")[1:]
    for size in (2, 1):
        name = ".".join(parts[:size])
        if name in RANK:
            return name
    return ""


def module_of(path: Path) -> str:
    return ".".join(("neofin_async", *path.relative_to(PACKAGE).with_suffix("").parts))


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Every `neofin_async` module imported by `path`, absolute, with its line."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            names = [f"{name}.{alias.name}" for alias in node.names] if node.module is None else []
            found += [(n, node.lineno) for n in [name, *names] if n.startswith("neofin_async")]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            found += [(n, node.lineno) for n in names if n.startswith("neofin_async")]
    return found


def violations(path: Path) -> list[str]:
    own = component_of(module_of(path))
    problems = []
    for imported, line in imports_of(path):
        other = component_of(imported)
        if not own or not other or other == own or RANK[own] == RANK[other] == 0:
            continue  # within a component, or among the facts of layer 0
        where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
        if RANK[other] > RANK[own] or (
            RANK[other] == RANK[own] and (own, other) not in SHARED_WITHIN_A_LAYER
        ):
            problems.append(f"{where}: {other} is not below {own}")
        private = [p for p in imported.split(".")[1 + other.count(".") + 1 :] if p.startswith("_")]
        inside = own.startswith(other + ".")  # a provider's emulator uses the provider's parts
        if not other.startswith("_") and private and not inside:
            problems.append(f"{where}: a private module of {other} (use {other}'s __init__)")
    return problems


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_follow_the_layers(path: Path) -> None:
    assert not violations(path)


def test_every_module_has_a_layer() -> None:
    unplaced = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" or p.parent != PACKAGE
        if not component_of(module_of(p))
    }
    assert not unplaced
