"""Every code block of the README runs: Python blocks against a served emulator (through the
environment variables a user would set), shell blocks as commands."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from neofin_async.emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Emulator

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
SHELL_LINES = [
    line.split("  #")[0].strip()
    for block in re.findall(r"```bash\n(.*?)```", README, re.S)
    for line in block.splitlines()
    if line.strip()
]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def api_env() -> Iterator[dict[str, str]]:
    emulator = Emulator()
    with emulator.serving() as server:
        yield {
            **os.environ,
            "NEOFIN_BASE_URL": server.base_url,
            "NEOFIN_API_KEY": DEFAULT_API_KEY,
            "NEOFIN_SECRET_KEY": DEFAULT_SECRET_KEY,
        }


def test_the_readme_has_code_to_check() -> None:
    assert len(PYTHON_BLOCKS) >= 6 and len(SHELL_LINES) >= 8
    assert SHELL_LINES[0].endswith("neofin-async upsert billings examples/data/billings.csv")


@pytest.mark.parametrize("code", PYTHON_BLOCKS, ids=lambda code: code.splitlines()[0][:40])
def test_python_block_runs(code: str, api_env: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=api_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _command(line: str) -> str | None:
    """The command a README line runs here: the venv and install steps are already done, and
    the test command is this very suite."""
    command = line.split("&&")[-1].strip().removeprefix(".venv/bin/")
    return None if command.startswith(("pytest", "pip ", "python3 -m venv")) else command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_shell_lines_run(api_env: dict[str, str], tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "examples" / "data")
    port = str(_free_port())
    env = {**api_env, "PATH": f"{BIN}{os.pathsep}{api_env.get('PATH', '')}"}
    served: subprocess.Popen[str] | None = None
    try:
        for line in SHELL_LINES:
            command = _command(line)
            if command is None:
                continue
            argv = command.replace("8765", port).split()
            if argv[:2] == ["neofin-async", "emulator"]:
                served = subprocess.Popen(
                    argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True
                )
                _wait_for_port(int(port))
                continue
            done = subprocess.run(
                argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180
            )
            assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    finally:
        if served is not None:
            served.terminate()
            served.wait(timeout=30)
            assert served.stdout is not None
            served.stdout.close()
    assert served is not None, "the README shows how to serve the emulator"


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")
