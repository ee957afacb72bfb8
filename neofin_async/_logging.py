"""The `neofin_async` logger, switched on by `NEOFIN_LOG=info|debug`. Keys are never logged."""

from __future__ import annotations

import logging
import os

from ._constants import ENV_LOG

logger = logging.getLogger("neofin_async")

_LEVELS = {"info": logging.INFO, "debug": logging.DEBUG}


def setup_from_env() -> None:
    """Attach a stderr handler once if `NEOFIN_LOG` asks for one."""
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None or getattr(logger, "_neofin_configured", False):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger._neofin_configured = True  # type: ignore[attr-defined]
