"""Ctrl-C during a run: the first stops it cleanly, the second aborts at once."""

from __future__ import annotations

import asyncio
import signal
import sys
from types import TracebackType

from ..bulk import BulkStream

GRACE = 5.0
"""Seconds the requests in flight get to answer after the first Ctrl-C."""
REASON = "interrupted (Ctrl-C)"


class Interrupt:
    """While the block runs, the first SIGINT stops `stream` (no new chunk starts, chunks in
    flight get `GRACE` seconds, the rest is counted `not_sent`), so the run still ends with
    its summary, report and journal; the handler is then removed, so a second SIGINT raises
    `KeyboardInterrupt` as usual (abort at once). Where signals cannot be handled by the
    event loop (Windows, a thread), Ctrl-C keeps its default behaviour."""

    def __init__(self, stream: BulkStream, grace: float = GRACE) -> None:
        self.stream = stream
        self.grace = grace
        self.stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> Interrupt:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, self._first)
        except (NotImplementedError, RuntimeError, ValueError):
            return self
        self._loop = loop
        return self

    def _first(self) -> None:
        self.stopped = True
        self._restore()
        print(
            f"Stopping ({REASON}): nothing more is sent; the requests in flight get up to "
            f"{self.grace:g} s. Ctrl-C again aborts at once.",
            file=sys.stderr,
            flush=True,
        )
        self.stream.stop(REASON, grace=self.grace)

    def _restore(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.remove_signal_handler(signal.SIGINT)  # back to KeyboardInterrupt

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._restore()
