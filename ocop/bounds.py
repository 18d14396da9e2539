"""The largest numbers the app takes from an address, so none reaches the database as a
value it cannot hold (ids are INTEGER columns: PostgreSQL refuses past 2**31 - 1, SQLite
raises OverflowError past 2**63 - 1)."""

from datetime import date

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest id an INTEGER primary key holds on PostgreSQL
MAX_PAGE = 999_999_999  # page × page size stays far below MAX_ID
EARLIEST_DAY = date(2000, 1, 1)  # before any OCOP certificate (the programme began in 2018)


class BoundedInt(IntegerConverter):
    """`<int:…>` that no longer matches past MAX_ID: the address is a 404, never a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
