"""The figures as officials write them in reports to the provincial People's Committee:
Vietnamese whatever the interface language, decimal comma, every percentage from the
numerator and denominator it states."""

from babel.numbers import format_decimal

from ..numbers import grouped
from .figures import Figure, Filters, Headline, Row


def percent(figure: Figure) -> str:
    """95.86… -> "95,9%" (one decimal, comma); "—" without a denominator."""
    return "—" if figure.percent is None else format_decimal(figure.percent, "0.0",
                                                              locale="vi") + "%"


def share(figure: Figure) -> str:
    """ "256/267" with its percentage."""
    return f"{grouped(figure.part)}/{grouped(figure.whole)}"


def summary(head: Headline, marketplaces: list[Row], filters: Filters,
            group_label: str | None = None) -> str:
    """One paragraph, ready to paste."""
    where = f"xã/phường {filters.commune}" if filters.commune else "toàn tỉnh"
    kind = f" thuộc nhóm {group_label}" if group_label else ""
    stars = ", ".join(f"{grouped(n)} sản phẩm {s} sao"
                      for s, n in sorted(head.by_stars.items(), reverse=True) if n)
    text = (f"Tính đến ngày {head.on:%d/%m/%Y}, {where} có {grouped(head.counted)} sản phẩm "
            f"OCOP{kind} còn hiệu lực" + (f" ({stars})" if stars else "") + "; ")
    text += (f"{share(head.online)} sản phẩm có gian hàng đang hoạt động trên sàn thương mại "
             f"điện tử, đạt {percent(head.online)}")
    text += (f", trong đó {share(head.buyable)} sản phẩm đang còn hàng để mua "
             f"({percent(head.buyable)}) và {share(head.machine)} sản phẩm được máy kiểm tra "
             f"xác minh ({percent(head.machine)}: qua tài khoản sàn, trình duyệt hoặc trang)")
    for row in marketplaces:
        text += f"; sàn {row.label}: {share(row.online)} ({percent(row.online)})"
    return text + "."
