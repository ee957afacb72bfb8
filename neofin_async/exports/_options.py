"""How an export is read: the settings (JSON-able, so a shard spec carries them) and a path."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["csv", "jsonl"]
AmountUnit = Literal["centavos", "reais"]


class ReadSettings(BaseModel):
    """How to read a file into records: the CLI's `--format`, `--encoding`, `--amount-unit`,
    `--date-format`, `--column`/`--columns` and `--ignore-unknown-columns`."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    format: Format | None = None
    """None: from the file's extension, else its content (`{` starts JSON Lines)."""
    encoding: str = "utf-8"
    amount_unit: AmountUnit = "centavos"
    date_format: str | None = None
    """A strftime pattern tried first for date fields (day-first dates are read anyway)."""
    columns: dict[str, str | None] = Field(default_factory=dict)
    """Source header -> field (None: drop the column)."""
    ignore_unknown_columns: bool = False


class ReadOptions(ReadSettings):
    """`ReadSettings` and the file they apply to (`-` = stdin)."""

    path: str

    @property
    def settings(self) -> ReadSettings:
        """The settings alone (what a shard spec carries next to its byte range)."""
        return ReadSettings.model_validate(self.model_dump(exclude={"path"}))
