"""Reading exports: CSV or JSON Lines files into records named like a provider's fields.

    fields = fields_of("billings")                       # or ("customers", "piriod"), ...
    records = Records(ReadOptions(path="export.csv", encoding="cp1252",
                                  columns={"Valor": "amount"}), fields)
    for record in records:                               # dicts, or InvalidItemError
        ...

Headers are matched to fields (or mapped, `columns`); cells are trimmed and converted
(day-first dates, amounts in reais or centavos, booleans, lists); a record that cannot be read
is an `InvalidItemError` naming its field, and `records.line_of(i)` its line. For a journal,
`records.sourced()` yields `Sourced` items: key and digest now, the record parsed only if it
changed. The `neofin-async` command and `neofin_async.sharding` read files through this.
"""

from ._columns import (
    REAIS_HINT,
    Layout,
    check_mapping,
    converters,
    field_named,
    normalize,
    parse_bool,
    parse_centavos,
    parse_date,
    parse_reais,
    read_mapping,
    resolve,
    split_list,
)
from ._fields import FIELDS, Fields, fields_of
from ._options import AmountUnit, Format, ReadOptions, ReadSettings
from ._records import DELIMITERS, FORMATS, READER_VERSION, Records, format_of, in_thread
from ._write import write_records

__all__ = [
    "DELIMITERS",
    "FIELDS",
    "FORMATS",
    "READER_VERSION",
    "REAIS_HINT",
    "AmountUnit",
    "Fields",
    "Format",
    "Layout",
    "ReadOptions",
    "ReadSettings",
    "Records",
    "check_mapping",
    "converters",
    "field_named",
    "fields_of",
    "format_of",
    "in_thread",
    "normalize",
    "parse_bool",
    "parse_centavos",
    "parse_date",
    "parse_reais",
    "read_mapping",
    "resolve",
    "split_list",
    "write_records",
]
