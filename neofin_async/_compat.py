"""Python 3.10 support: ISO-8601 date-times parsed as `datetime.fromisoformat` does from 3.11."""

from __future__ import annotations

import re
import sys
from datetime import datetime

if sys.version_info >= (3, 11):
    fromisoformat = datetime.fromisoformat
else:
    _TIME = re.compile(
        r"(?P<clock>\d\d(?::\d\d){0,2})(?:[.,](?P<fraction>\d+))?"
        r"(?P<offset>Z|[+-]\d\d(?::?\d\d)?)?"
    )

    def fromisoformat(text: str) -> datetime:
        """`datetime.fromisoformat`, also taking what 3.11 added for RFC 3339 text: a `Z`
        offset, `±HH` and `±HHMM` offsets, a comma or any number of fraction digits."""
        day, time = text[:11], text[11:]
        match = _TIME.fullmatch(time)
        if match is not None:
            clock, fraction, offset = match.group("clock", "fraction", "offset")
            time = clock
            if fraction is not None:
                time += "." + fraction[:6].ljust(6, "0")
            if offset == "Z":
                time += "+00:00"
            elif offset is not None:
                digits = offset[1:].replace(":", "")
                time += f"{offset[0]}{digits[:2]}:{digits[2:] or '00'}"
        return datetime.fromisoformat(day + time)
