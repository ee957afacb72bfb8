"""PostgreSQL, for the parts that use it (the journal, tenant slots): psycopg 3 imported
only when needed, and connection strings shown without their password."""

from __future__ import annotations

import importlib
from types import ModuleType

from ._exceptions import ConfigurationError


def safe_dsn(module: ModuleType, dsn: str) -> str:
    """The DSN without its password, for messages: `postgresql://user@host:port/db`."""
    try:
        parts = module.conninfo.conninfo_to_dict(dsn)
    except module.ProgrammingError:
        raise ConfigurationError(
            "journal: not a valid PostgreSQL connection string (postgresql://user@host/db)"
        ) from None
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


def psycopg_module() -> ModuleType:
    """psycopg, or a `ConfigurationError` saying how to install it."""
    try:
        return importlib.import_module("psycopg")
    except ImportError:
        raise ConfigurationError(
            "a postgresql:// journal needs psycopg 3: pip install 'neofin-async[postgres]'"
        ) from None
