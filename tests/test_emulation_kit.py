"""The provider-neutral emulator kit (`neofin_async._emulation`), through a toy provider."""

from __future__ import annotations

import ast
import errno
import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from neofin_async._emulation import (
    IN_PROCESS_BASE_URL,
    Answer,
    EmulatorApp,
    EmulatorSettings,
    FaultRule,
    FaultSettings,
    Headers,
    ManualClock,
    Request,
    Route,
    dumps,
    header,
    listening_socket,
    loads,
    reason_phrase,
)
from neofin_async.emulator import EmulatorConfig


@dataclass(frozen=True)
class NotesSettings(EmulatorSettings):
    token: str = "test-token"


class NotesEmulator(EmulatorApp[NotesSettings]):
    """A toy provider: notes by id, a token header, DRF-like error bodies."""

    name = "Notes"
    max_body_bytes = 1000

    def __init__(self, config: NotesSettings | None = None, **settings: Any) -> None:
        super().__init__((config or NotesSettings()).replace(**settings), clock=ManualClock(0))
        self.notes: dict[str, str] = {}

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/notes/", self.create),
            Route("GET", "/notes/{id}", self.show),
            Route("GET", "/notes/crash", self.crash),
        ]

    def authenticate(self, headers: Headers) -> Answer | None:
        if header(headers, b"authorization") == f"Token {self.config.token}".encode():
            return None
        return 401, dumps({"detail": "Invalid token."})

    def error_body(self, status: int) -> bytes:
        return dumps({"detail": reason_phrase(status)})

    def client(self, **options: Any) -> httpx.AsyncClient:
        token = {"authorization": f"Token {self.config.token}"}
        return httpx.AsyncClient(
            transport=self.transport(), base_url=IN_PROCESS_BASE_URL, headers=token, **options
        )

    def create(self, req: Request) -> Answer:
        try:
            data = loads(req.body)
        except ValueError:
            return 400, dumps({"detail": "Invalid JSON."})
        note_id = str(len(self.notes) + 1)
        self.notes[note_id] = str(data.get("text", ""))
        return 201, dumps({"id": note_id})

    def show(self, req: Request) -> Answer:
        if req.param not in self.notes:
            return 404, dumps({"detail": "Not found."})
        return 200, dumps({"id": req.param, "text": self.notes[req.param]})

    def crash(self, req: Request) -> Answer:
        raise RuntimeError("secret body " + "x" * 10_000)


async def test_a_toy_provider_in_process() -> None:
    emulator = NotesEmulator()
    async with emulator.client() as http:
        created = await http.post("/notes/", json={"text": "hi"})
        assert created.status_code == 201 and created.headers["x-request-id"]
        assert (await http.get(f"/notes/{created.json()['id']}")).json()["text"] == "hi"
        assert (await http.get("/notes/9")).status_code == 404
        refused = await http.get("/notes/1", headers={"authorization": "Token wrong"})
        assert refused.status_code == 401 and refused.json() == {"detail": "Invalid token."}
        assert (await http.get("/nowhere")).status_code == 404
        wrong_method = await http.delete("/notes/1")
        assert wrong_method.status_code == 405
        assert wrong_method.json() == {"detail": "Method Not Allowed"}
    assert emulator.request_counts["POST /notes/"] == 1
    assert emulator.request_counts["unmatched"] == 2


async def test_literal_segments_win_over_parameters() -> None:
    emulator = NotesEmulator()
    async with emulator.client() as http:
        assert (await http.get("/notes/crash")).status_code == 500


async def test_internal_errors_answer_the_providers_500_and_are_kept_short_and_bounded() -> None:
    emulator = NotesEmulator(error_log_size=3)
    async with emulator.client() as http:
        for _ in range(5):
            answer = await http.get("/notes/crash")
            assert answer.status_code == 500
            assert answer.json() == {"detail": "Internal Server Error"}
    assert len(emulator.errors) == 3
    record = emulator.errors[0]
    assert record.route == "GET /notes/crash" and record.error.startswith("RuntimeError: secret")
    assert len(record.error) <= 200
    assert not hasattr(record, "__traceback__")


async def test_a_body_over_the_cap_is_a_413_in_the_providers_words() -> None:
    emulator = NotesEmulator()
    async with emulator.client() as http:
        answer = await http.post("/notes/", content=b"x" * 1001)
    assert answer.status_code == 413 and answer.json() == {"detail": "Request Entity Too Large"}
    assert emulator.notes == {}


async def test_the_request_log_is_bounded() -> None:
    emulator = NotesEmulator(request_log_size=2)
    async with emulator.client() as http:
        for _ in range(5):
            await http.get("/notes/1")
    assert len(emulator.requests) == 2 and emulator.request_counts["GET /notes/{id}"] == 5


async def test_faults_use_the_providers_bodies_and_request_id() -> None:
    emulator = NotesEmulator(faults=(FaultRule("POST", "/notes", throttle_rate=1, retry_after=7),))
    async with emulator.client() as http:
        throttled = await http.post("/notes/", json={})
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "7"
        assert throttled.json() == {"detail": "Too Many Requests"}
        assert throttled.headers["x-request-id"]
        emulator.configure(faults=(), fail_rate=1.0, fail_status=503)
        failed = await http.get("/notes/1")
        assert failed.status_code == 503 and failed.json() == {"detail": "Service Unavailable"}
    assert emulator.notes == {}


async def test_a_lost_answer_is_processed_then_dropped() -> None:
    emulator = NotesEmulator(lost_rate=1.0)
    async with emulator.client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/notes/", json={"text": "stored"})
    assert emulator.notes == {"1": "stored"}  # processed, though nobody heard the answer
    (record,) = emulator.requests
    assert (record.status, record.fault) == (0, "lost")


def test_a_lost_answer_over_a_socket_is_a_closed_connection() -> None:
    emulator = NotesEmulator(faults=(FaultRule("POST", lost_rate=1.0),))
    token = {"authorization": "Token test-token"}
    with emulator.serving() as server, httpx.Client(base_url=server.base_url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/notes/", json={"text": "stored"}, headers=token)
        assert http.get("/notes/1", headers=token).json() == {"id": "1", "text": "stored"}


def test_fault_knobs_are_written_once() -> None:
    names = {f for f in FaultSettings.__dataclass_fields__}
    assert "lost_rate" in names
    assert names <= set(FaultRule.__dataclass_fields__)
    assert names <= set(EmulatorConfig.__dataclass_fields__)
    shorthand = EmulatorConfig(lost_rate=0.25, latency_ms=3).fault_rules()[-1]
    assert (shorthand.lost_rate, shorthand.latency_ms, shorthand.path) == (0.25, 3, "/")
    with pytest.raises(ValueError, match="add up to at most 1"):
        FaultRule(lost_rate=0.6, drop_rate=0.6)


@pytest.mark.parametrize(
    "text",
    [b"[" * 100_000, b"[" * 33 + b"]" * 33, b'{"a": NaN}', b"[Infinity]", b"[1e400]", b"{", b""],
)
def test_strict_json_refuses_what_would_break_an_answer(text: bytes) -> None:
    with pytest.raises(ValueError):
        loads(text)


def test_strict_json_reads_what_is_fine() -> None:
    assert loads(b"[" * 32 + b"]" * 32) is not None
    assert loads(b'{"a": [1, 2.5, "\\u00e9"]}') == {"a": [1, 2.5, "é"]}
    with pytest.raises(ValueError):
        dumps({"fees": float("nan")})


def test_the_listening_socket_says_tcp_so_accepted_connections_get_tcp_nodelay() -> None:
    sock = listening_socket("127.0.0.1", 0)
    with sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    emulator = NotesEmulator()
    with emulator.serving() as server, httpx.Client(base_url=server.base_url) as http:
        http.get("/notes/1")  # the keep-alive connection stays open
        uvicorn_server = server._server
        assert uvicorn_server is not None
        (listening,) = [s for srv in uvicorn_server.servers for s in srv.sockets]
        assert listening.proto == socket.IPPROTO_TCP
        connections = list(uvicorn_server.server_state.connections)
        assert connections
        for connection in connections:
            accepted = connection.transport.get_extra_info("socket")
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_a_port_in_use_is_one_line() -> None:
    with listening_socket("127.0.0.1", 0) as taken:
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=rf"^cannot listen on 127.0.0.1:{port}: ") as caught:
            listening_socket("127.0.0.1", port)
        assert caught.value.errno == errno.EADDRINUSE


def _imports(path: Path, package: str) -> set[str]:
    """The modules of `package` that a module imports (relative or absolute)."""
    tree = ast.parse(path.read_text())
    here = [*package.split("."), path.stem]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level] if node.level else []
            module = [*base, *(node.module.split(".") if node.module else [])]
            names = [".".join(module)]
            names += [".".join([*module, alias.name]) for alias in node.names]
            found.update(n for n in names if n.startswith(package + "."))
    return found


@pytest.mark.parametrize("package", ["neofin_async._emulation", "neofin_async.emulator"])
def test_the_emulator_modules_import_each_other_without_cycles(package: str) -> None:
    root = Path(__file__).parent.parent / package.replace(".", "/")
    graph = {
        f"{package}.{p.stem}": _imports(p, package)
        for p in root.glob("*.py")
        if p.stem not in ("__init__", "__main__")
    }

    def visit(module: str, path: tuple[str, ...]) -> None:
        for target in graph.get(module, ()):
            assert target not in path, f"import cycle: {' -> '.join((*path, target))}"
            visit(target, (*path, target))

    for module in graph:
        visit(module, (module,))


def test_answers_are_compact_json() -> None:
    assert dumps({"a": [1, "é"]}) == json.dumps({"a": [1, "é"]}, separators=(",", ":")).encode()
