"""A tiny router: literal path segments win over `{parameters}` (API Gateway, Django and most
routers agree on that)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

Answer = tuple[int, bytes]
"""A handler's answer: the status and the JSON body."""


class Abort(Exception):
    """Raised by a handler (or a helper it calls) to answer at once: `raise Abort(404, body)`."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.answer: Answer = (status, body)


@dataclass
class Request:
    """What a handler sees of a request that passed routing, faults and authentication."""

    method: str
    route: str
    """The route's label, `"POST /billing/"`."""
    params: list[str]
    """The decoded `{parameters}` of the path, in order."""
    query_string: bytes
    body: bytes
    now: float
    """The emulator's clock when the request arrived."""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    @property
    def param(self) -> str:
        return self.params[0]

    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True))

    def header(self, name: str) -> str | None:
        """A request header's first value (`name` is case-insensitive)."""
        wanted = name.lower().encode("latin-1")
        for key, value in self.headers:
            if key == wanted:
                return value.decode("latin-1")
        return None


Handler = Callable[[Request], "Answer | Awaitable[Answer]"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    """`/billing/integration/{integration_identifier}`: `{...}` segments are parameters."""
    handler: Handler

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


Pattern = tuple["str | None", ...]


def _segments(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


class Router:
    """Matches a method and a raw path (trailing slash optional) to a route."""

    def __init__(self, routes: Iterable[Route]) -> None:
        resources: dict[Pattern, dict[str, Route]] = {}
        for route in routes:
            pattern = tuple(None if s.startswith("{") else s for s in _segments(route.template))
            resources.setdefault(pattern, {})[route.method] = route
        self._by_length: dict[int, list[tuple[Pattern, dict[str, Route]]]] = {}
        for pattern, methods in sorted(resources.items(), key=lambda r: [s is None for s in r[0]]):
            self._by_length.setdefault(len(pattern), []).append((pattern, methods))

    def _resource(self, raw_path: str) -> tuple[dict[str, Route], list[str]] | None:
        segments = _segments(raw_path)
        for pattern, methods in self._by_length.get(len(segments), ()):
            params = []
            for wanted, segment in zip(pattern, segments, strict=True):
                if wanted is None:
                    params.append(unquote(segment))
                elif wanted != segment:
                    break
            else:
                return methods, params
        return None

    def match(self, method: str, raw_path: str) -> tuple[Route, list[str]] | None:
        """The route and its decoded parameters; None when the resource or the method does
        not exist (see `methods`)."""
        found = self._resource(raw_path)
        if found is None:
            return None
        route = found[0].get(method)
        return (route, found[1]) if route is not None else None

    def methods(self, raw_path: str) -> frozenset[str]:
        """The methods the path's resource has (empty when there is no such resource): a
        provider answers 404 or 405 from it."""
        found = self._resource(raw_path)
        return frozenset(found[0]) if found is not None else frozenset()
