"""A tiny router: literal path segments win over `{parameters}`, like API Gateway resources."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote


@dataclass
class Request:
    """What a handler sees of a request that passed routing, faults and authentication."""

    method: str
    route: str
    params: list[str]
    query_string: bytes
    body: bytes
    now: float

    @property
    def param(self) -> str:
        return self.params[0]

    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True))


Handler = Callable[[Request], "tuple[int, bytes]"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


Pattern = tuple["str | None", ...]


def _segments(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        resources: dict[Pattern, dict[str, Route]] = {}
        for route in routes:
            pattern = tuple(None if s.startswith("{") else s for s in _segments(route.template))
            resources.setdefault(pattern, {})[route.method] = route
        self._by_length: dict[int, list[tuple[Pattern, dict[str, Route]]]] = {}
        for pattern, methods in sorted(resources.items(), key=lambda r: [s is None for s in r[0]]):
            self._by_length.setdefault(len(pattern), []).append((pattern, methods))

    def match(self, method: str, raw_path: str) -> tuple[Route, list[str]] | None:
        """The route and its decoded parameters; None when the resource or method does not
        exist (API Gateway's "Missing Authentication Token")."""
        segments = _segments(raw_path)
        for pattern, methods in self._by_length.get(len(segments), ()):
            params = []
            for wanted, segment in zip(pattern, segments, strict=True):
                if wanted is None:
                    params.append(unquote(segment))
                elif wanted != segment:
                    break
            else:
                route = methods.get(method)
                return (route, params) if route is not None else None
        return None
