"""Numbers as the reader's language writes them, through Babel: 0,5 and 80,5% in Vietnamese,
0.5 and 80.5% in English. Money is đồng, written the Vietnamese way in either language."""

from babel.numbers import format_decimal as babel_decimal
from flask_babel import format_decimal, format_percent

DECIMAL = "#,##0.##"


def decimal(value: float) -> str:
    """A measure (seconds, a share's percent figure) with at most two decimals."""
    return format_decimal(value, DECIMAL)


def percent(value: float) -> str:
    """`value` percent (80.5 -> "80,5%"), with at most one decimal."""
    return format_percent(value / 100, "#,##0.#%")


def grouped(value: int) -> str:
    """1290000 -> "1.290.000": a whole number the Vietnamese way whatever the reader's language
    (the report's sentences, đồng amounts)."""
    return babel_decimal(value, "#,##0", locale="vi")


def vnd(amount: int) -> str:
    """1290000 -> "1.290.000 ₫"."""
    return f"{grouped(amount)} ₫"
